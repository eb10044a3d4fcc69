#pragma once
/// @brief Self-registration of CLI subcommands: each app/cli/cmd_*.cpp registers a function that adds its
/// subcommand(s) to the root CLI::App. main() calls them all, in name order, before parsing.
#include <CLI/CLI.hpp>

#include <string>

namespace rooflab::cli {

/// Exit codes of the rooflab CLI.
enum ExitCode : int { kOk = 0, kFailure = 1, kBadInput = 2 };

/// @brief Adds a subcommand to `root`. The subcommand's callback stores its exit code in `exitCode`.
/// Callbacks may throw rooflab::InputError (main prints it and exits 2) or std::exception (exit 1).
using CommandFactory = void (*)(CLI::App& root, int& exitCode);

struct CommandRegistrar {
    CommandRegistrar(const char* sortKey, CommandFactory factory);
};

/// @brief Returns the subcommand `name` of `root`, creating it (with `description`) when absent, so several
/// files can add children to one group such as `bench` or `calibrate`.
CLI::App& subcommandGroup(CLI::App& root, const std::string& name, const std::string& description);

/// @brief Adds all registered commands to `root`.
void addRegisteredCommands(CLI::App& root, int& exitCode);

} // namespace rooflab::cli

#define ROOFLAB_CLI_CONCAT_(a, b) a##b
#define ROOFLAB_CLI_CONCAT(a, b) ROOFLAB_CLI_CONCAT_(a, b)
/// Use once per command at namespace scope in a cmd_*.cpp: ROOFLAB_REGISTER_COMMAND("bench-gpu", addBenchGpu);
#define ROOFLAB_REGISTER_COMMAND(sortKey, factory)                                                                \
    static const ::rooflab::cli::CommandRegistrar ROOFLAB_CLI_CONCAT(s_rooflabRegistrar_, __LINE__)(sortKey, factory)
