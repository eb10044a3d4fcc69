// rooflab: command-line front end. Thin: parses arguments, calls the engine, prints. No Qt.
#include "io/data_paths.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <iostream>

int main(int argc, char** argv) {
    rooflab::io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);
    CLI::App app{"rooflab - calibrated performance modeling: how fast will this LLM, GEMM or kernel run here, and why"};
    app.set_version_flag("--version", std::string("rooflab ") + ROOFLAB_VERSION);
    app.require_subcommand(1);
    app.fallthrough(false);
    int exitCode = rooflab::cli::kOk;
    rooflab::cli::addRegisteredCommands(app, exitCode);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return rooflab::cli::kBadInput;
    } catch (const rooflab::InputError& e) {
        std::cerr << "rooflab: error: " << e.what() << "\n";
        return rooflab::cli::kBadInput;
    } catch (const std::exception& e) {
        std::cerr << "rooflab: failure: " << e.what() << "\n";
        return rooflab::cli::kFailure;
    }
    return exitCode;
}
