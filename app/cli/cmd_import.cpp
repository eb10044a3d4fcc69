// rooflab import aiconfigurator FILES_OR_DIRS... --out DIR [--system S] [--sample-every N]
#include "calibration/aic_import.hpp"
#include "common.hpp"
#include "io/csv.hpp"
#include "io/files.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace rooflab::cli {
namespace {

namespace fs = std::filesystem;

struct ImportAicOptions {
    std::vector<std::string> inputs;
    std::string out, system;
    int64_t sampleEvery = 1;
};
ImportAicOptions g_aic;

constexpr const char* kConvertHint =
    "convert it to plain CSV first: gzip -dk FILE.csv.gz (the aic-perop copy); upstream Parquet: python3 -c "
    "\"import pandas as p, sys; p.read_parquet(sys.argv[1]).to_csv(sys.argv[2], index=False)\" T.parquet T.csv";

bool compressedOrParquet(const fs::path& p) {
    const std::string s = p.filename().string();
    return s.ends_with(".gz") || s.ends_with(".parquet") || s.ends_with(".zst") || s.ends_with(".bz2");
}

/// The upstream system folder named in the path (…/data/<system>/<family>/…), if any.
std::string systemFromPath(const fs::path& p) {
    for (const auto& part : p)
        if (!aic::platformForSystem(part.string()).empty())
            return part.string();
    return {};
}

void runImportAic(const ImportAicOptions& o, int& exitCode) {
    if (o.sampleEvery < 1)
        throw InputError("", 0, "--sample-every", "must be at least 1");
    aic::ImportOptions opt;
    opt.system = o.system;
    opt.sampleEvery = static_cast<uint64_t>(o.sampleEvery);
    if (!o.system.empty() && aic::platformForSystem(o.system).empty())
        throw InputError("", 0, "--system", "'" + o.system + "' is not h100_sxm, h200_sxm or l40s");

    // Inputs: files as given; folders walked recursively (the upstream layout nests tables), in name order.
    std::vector<fs::path> files, licences;
    std::size_t compressed = 0;
    for (const auto& in : o.inputs) {
        const fs::path p(in);
        std::error_code ec;
        if (compressedOrParquet(p))
            throw InputError(in, 0, "", std::string("compressed or Parquet table: ") + kConvertHint);
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> found;
            for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
                 it.increment(ec)) {
                if (!it->is_regular_file(ec))
                    continue;
                const fs::path f = it->path();
                const std::string name = f.filename().string();
                if (name.ends_with(".csv"))
                    found.push_back(f);
                else if (compressedOrParquet(f))
                    ++compressed;
                else if (name.starts_with("LICENSE"))
                    licences.push_back(f);
            }
            if (ec)
                throw InputError(in, 0, "", "cannot list the folder: " + ec.message());
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::exists(p, ec)) {
            files.push_back(p);
        } else {
            throw InputError(in, 0, "", "no such file or folder");
        }
    }
    if (files.empty())
        throw InputError(o.inputs.empty() ? "" : o.inputs.front(), 0, "",
                         "no .csv tables found" +
                             (compressed ? " (" + std::to_string(compressed) +
                                               " compressed or Parquet files: " + std::string(kConvertHint) + ")"
                                         : std::string()));

    aic::Importer importer(opt);
    for (const auto& f : files) {
        const io::CsvTable t = io::loadCsvFile(f.string());
        importer.add(t, systemFromPath(fs::absolute(f)));
    }
    const aic::ImportResult r = importer.finish();
    if (r.datasets.empty())
        throw InputError(o.inputs.front(), 0, "", "no GEMM, dense-attention, MoE or collective rows to import");

    const fs::path outDir(o.out);
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec)
        throw InputError(o.out, 0, "--out", "cannot create the folder: " + ec.message());
    std::string command = "rooflab import aiconfigurator";
    for (const auto& f : files)
        command += " " + f.filename().string();
    command += " --out " + outDir.filename().string();
    if (!o.system.empty())
        command += " --system " + o.system;
    if (o.sampleEvery > 1)
        command += " --sample-every " + std::to_string(o.sampleEvery);

    std::vector<std::vector<std::string>> rows;
    for (const auto& d : r.datasets) {
        io::writeFileAtomic((outDir / d.fileName()).string(), aic::datasetCsv(d), "--out");
        std::size_t read = 0;
        for (const auto& s : d.sources)
            read += s.rowsRead;
        std::string versions;
        for (const auto& v : d.versions)
            versions += (versions.empty() ? "" : ",") + v;
        rows.push_back({d.fileName(), std::to_string(read), std::to_string(d.rows.size()), versions,
                        std::to_string(d.kernelSources.size())});
    }
    io::writeFileAtomic((outDir / "PROVENANCE.md").string(), aic::provenanceMarkdown(r, opt, command), "--out");
    for (const auto& l : licences) {
        std::ifstream f(l, std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        io::writeFileAtomic((outDir / l.filename()).string(), text, "--out");
    }
    printTable(std::cout, {"dataset", "rows read", "rows kept", "versions", "kernels"}, rows);
    for (const auto& s : r.skipped)
        std::cerr << "note: " << s.file << ": " << s.reason << "\n";
    if (compressed)
        std::cerr << "note: " << compressed << " compressed or Parquet files left out: " << kConvertHint << "\n";
    std::cout << "wrote " << r.datasets.size() << " datasets and PROVENANCE.md to " << o.out << "\n";
    exitCode = kOk;
}

void addImport(CLI::App& root, int& exitCode) {
    CLI::App& imp = subcommandGroup(root, "import", "Bring external measurement databases in as rooflab datasets");
    CLI::App* c = imp.add_subcommand(
        "aiconfigurator",
        "Import NVIDIA aiconfigurator per-operator tables (GEMM, context/generation attention, MoE, collectives)");
    c->footer(
        "Reads CSV tables of aiconfigurator's database (columns by name, as upstream names them; an optional first\n"
        "column `system`) and writes one dataset per (system, framework, op) to --out: "
        "<system>__<op>__<framework>.csv\n"
        "plus PROVENANCE.md (and the LICENSE file of an input folder). Check them with `rooflab validate --dataset "
        "F`.\n"
        "Input formats: the shared copy (aic-perop) is gzipped CSV: run `gzip -dk *.csv.gz` first. Upstream ships\n"
        "Parquet "
        "(aic-core/src/aiconfigurator_core/systems/data/<system>/<family>/<framework>/<version>/<table>.parquet):\n"
        "  python3 -c \"import pandas as p, sys; p.read_parquet(sys.argv[1]).to_csv(sys.argv[2], index=False)\" \\\n"
        "      gemm_perf.parquet gemm_perf.csv\n"
        "Keep the upstream folders (the system is taken from the path) or pass --system; else it comes from `device`.\n"
        "Tables of other families (MLA, wide-EP MoE, DeepEP, ...) are listed as not imported.");
    c->add_option("inputs", g_aic.inputs, "CSV tables or folders (searched recursively for *.csv)")->required();
    c->add_option("--out", g_aic.out, "folder to write the datasets to (each file written atomically)")->required();
    c->add_option("--system", g_aic.system, "system of tables without a system column: h100_sxm, h200_sxm or l40s");
    c->add_option("--sample-every", g_aic.sampleEvery,
                  "keep the shapes whose key hashes to 0 mod N (deterministic; the same shapes on every GPU and "
                  "framework)")
        ->capture_default_str();
    c->callback([&exitCode]() { runImportAic(g_aic, exitCode); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("import", addImport);
} // namespace rooflab::cli
