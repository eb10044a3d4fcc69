#include "registry.hpp"

#include "common.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace rooflab::cli {
namespace {
std::vector<std::pair<std::string, CommandFactory>>& registry() {
    static std::vector<std::pair<std::string, CommandFactory>> commands;
    return commands;
}
} // namespace

CommandRegistrar::CommandRegistrar(const char* sortKey, CommandFactory factory) {
    registry().emplace_back(sortKey, factory);
}

CLI::App& subcommandGroup(CLI::App& root, const std::string& name, const std::string& description) {
    for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
        if (sub->get_name() == name)
            return *sub;
    }
    CLI::App* group = root.add_subcommand(name, description);
    group->require_subcommand(1);
    return *group;
}

void addRegisteredCommands(CLI::App& root, int& exitCode) {
    auto commands = registry();
    std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, factory] : commands)
        factory(root, exitCode);
    rejectIntegerOverflow(root);
}

} // namespace rooflab::cli
