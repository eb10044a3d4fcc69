#include "models/calibration_model.hpp"

#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

namespace rooflab::gui {
namespace {

DType dtypeCell(const io::CsvTable& t, std::size_t row, int col) {
    const auto d = parseDType(t.text(row, col));
    if (!d)
        throw InputError(t.file, t.rowLines[row], t.header[std::size_t(col)],
                         "unknown datatype '" + t.text(row, col) + "'");
    return *d;
}

} // namespace

double mapePct(const std::vector<double>& measured, const std::vector<double>& model) {
    double sum = 0;
    int n = 0;
    for (std::size_t i = 0; i < measured.size() && i < model.size(); ++i)
        if (measured[i] > 0 && std::isfinite(model[i])) {
            sum += std::abs(model[i] - measured[i]) / measured[i];
            ++n;
        }
    return n ? sum / n * 100 : std::numeric_limits<double>::quiet_NaN();
}

std::vector<GemmCombo> gemmCombos(const io::CsvTable& gemm) {
    const int n = gemm.requireColumn("n"), k = gemm.requireColumn("k"), dt = gemm.requireColumn("dtype");
    std::vector<GemmCombo> out;
    for (std::size_t r = 0; r < gemm.rows.size(); ++r) {
        GemmCombo c{int64_t(gemm.number(r, n, 1, 1e12)), int64_t(gemm.number(r, k, 1, 1e12)), gemm.text(r, dt)};
        if (std::find(out.begin(), out.end(), c) == out.end())
            out.push_back(c);
    }
    std::sort(out.begin(), out.end(), [](const GemmCombo& a, const GemmCombo& b) {
        return std::tie(a.n, a.k, a.dtype) < std::tie(b.n, b.k, b.dtype);
    });
    return out;
}

CalCurve gemmCurve(const io::CsvTable& gemm, const PlatformModel& pm, const GemmCombo& combo) {
    const int m = gemm.requireColumn("m"), n = gemm.requireColumn("n"), k = gemm.requireColumn("k");
    const int dt = gemm.requireColumn("dtype"), fps = gemm.requireColumn("flop_per_s");
    struct Pt {
        double m, meas, model;
    };
    std::vector<Pt> pts;
    for (std::size_t r = 0; r < gemm.rows.size(); ++r) {
        if (int64_t(gemm.number(r, n, 1, 1e12)) != combo.n || int64_t(gemm.number(r, k, 1, 1e12)) != combo.k ||
            gemm.text(r, dt) != combo.dtype)
            continue;
        const double mm = gemm.number(r, m, 1, 1e12);
        const DType t = dtypeCell(gemm, r, dt);
        bool fellBack = false;
        const DType ct = pm.computeType(t, fellBack);
        const OpResult op = evalGemm(pm, "gemm", mm, double(combo.n), double(combo.k), t, t, ct, LaunchMode::Graph);
        const double flops = 2 * mm * double(combo.n) * double(combo.k);
        pts.push_back({mm, gemm.number(r, fps, 0, 1e20) / 1e12,
                       op.timeS > 0 ? flops / op.timeS / 1e12 : std::numeric_limits<double>::quiet_NaN()});
    }
    std::sort(pts.begin(), pts.end(), [](const Pt& a, const Pt& b) { return a.m < b.m; });
    CalCurve c;
    for (const Pt& p : pts) {
        c.x.push_back(p.m);
        c.measured.push_back(p.meas);
        c.model.push_back(p.model);
    }
    c.mapePct = mapePct(c.measured, c.model);
    return c;
}

double levelBandwidth(const PlatformModel& pm, const std::string& level) {
    if (level == "hbm" || level == "dram")
        return pm.bandwidth[kDram];
    if (level == "l2")
        return pm.bandwidth[kL2];
    if (level == "l1")
        return pm.bandwidth[kL1];
    return 0;
}

CalCurve bandwidthCurve(const io::CsvTable& bw, const PlatformModel& pm, const std::string& level) {
    const int op = bw.requireColumn("op"), lv = bw.requireColumn("level"), fp = bw.requireColumn("bytes_footprint");
    const int bps = bw.requireColumn("bytes_per_s");
    const double model = levelBandwidth(pm, level);
    std::vector<std::pair<double, double>> pts;
    for (std::size_t r = 0; r < bw.rows.size(); ++r)
        if (bw.text(r, op) == "read" && bw.text(r, lv) == level)
            pts.emplace_back(bw.number(r, fp, 0, 1e18), bw.number(r, bps, 0, 1e18));
    std::sort(pts.begin(), pts.end());
    CalCurve c;
    std::vector<double> fullMeas, fullModel;
    const double l2 = pm.capacityBytes[kL2];
    for (const auto& [x, y] : pts) {
        c.x.push_back(x);
        c.measured.push_back(y);
        c.model.push_back(model);
        if (level != "hbm" || x > l2) {
            fullMeas.push_back(y);
            fullModel.push_back(model);
        }
    }
    c.mapePct = fullMeas.empty() ? mapePct(c.measured, c.model) : mapePct(fullMeas, fullModel);
    return c;
}

CalCurve attentionCurve(const io::CsvTable& attn, const PlatformModel& pm) {
    const int b = attn.requireColumn("batch"), h = attn.requireColumn("heads"), kvh = attn.requireColumn("kv_heads");
    const int sq = attn.requireColumn("seq_q"), sk = attn.requireColumn("seq_k"), hd = attn.requireColumn("head_dim");
    const int causal = attn.column("causal"), dt = attn.requireColumn("dtype"), med = attn.requireColumn("median_s");
    CalCurve c;
    for (std::size_t r = 0; r < attn.rows.size(); ++r) {
        AttentionShape s;
        s.batch = attn.number(r, b, 1, 1e9);
        s.heads = attn.number(r, h, 1, 1e6);
        s.kvHeads = attn.number(r, kvh, 1, 1e6);
        s.queries = attn.number(r, sq, 1, 1e9);
        s.keys = attn.number(r, sk, 1, 1e9);
        s.qkDim = s.vDim = attn.number(r, hd, 1, 1e6);
        s.causal = causal < 0 || attn.number(r, causal, 0, 1) != 0;
        const DType t = dtypeCell(attn, r, dt);
        s.kvBytesPerElement = s.actBytesPerElement = bytesPerElement(t);
        bool fellBack = false;
        const OpResult op = evalAttention(pm, "attention", s, pm.computeType(t, fellBack), LaunchMode::Graph);
        c.x.push_back(s.keys);
        c.measured.push_back(attn.number(r, med, 0, 1e6) * 1e6);
        c.model.push_back(op.timeS * 1e6);
    }
    c.mapePct = mapePct(c.measured, c.model);
    return c;
}

} // namespace rooflab::gui
