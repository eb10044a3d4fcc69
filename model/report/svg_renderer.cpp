#include "report/format.hpp"
#include "report/plot_spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <set>
#include <sstream>
#include <stdexcept>

namespace rooflab::report {

std::string_view plotFormatSuffix(PlotFormat f) {
    switch (f) {
    case PlotFormat::Svg:
        return "svg";
    case PlotFormat::Png:
        return "png";
    case PlotFormat::Pdf:
        return "pdf";
    }
    return "?";
}

std::string PlotRenderer::renderDocument(const PlotDocument&) {
    throw std::runtime_error("this plot renderer makes no documents (PDF)");
}

namespace {

/// A tick label for m x 10^k: plain decimals where they stay short, else "2e-5" (never two labels alike).
std::string tickNumber(double v) {
    if (v == 0)
        return "0";
    char b[48];
    const double a = std::fabs(v);
    if (a >= 1e-3 && a < 1e6) {
        std::snprintf(b, sizeof b, "%.6g", v);
        return b;
    }
    const int e = int(std::floor(std::log10(a) + 1e-9));
    std::snprintf(b, sizeof b, "%.3ge%d", v / std::pow(10.0, e), e);
    return b;
}

} // namespace

std::vector<AxisTick> logTicks(double lo, double hi) {
    std::vector<AxisTick> out;
    if (!(lo > 0) || !(hi > lo) || !std::isfinite(hi))
        return out;
    const double decades = std::log10(hi / lo);
    const int k0 = int(std::floor(std::log10(lo) + 1e-9)), k1 = int(std::ceil(std::log10(hi) - 1e-9));
    // Label every n-th decade on long axes so labels never collide; 2 and 5 get labels on short ones.
    const int every = std::max(1, int(std::ceil(decades / 8.0)));
    const bool labelTwoFive = decades <= 2.5;
    const bool labelAll = decades < 1.0; // under one decade 1-2-5 leaves too few labels
    const bool minor = decades <= 7;
    const double eps = 1e-9;
    for (int k = k0; k <= k1; ++k) {
        const double p = std::pow(10.0, k);
        for (int m = 1; m <= 9; ++m) {
            const double v = m * p;
            if (v < lo * (1 - eps) || v > hi * (1 + eps))
                continue;
            bool label = false;
            if (m == 1)
                label = ((k % every) + every) % every == 0;
            else if (m == 2 || m == 5)
                label = labelTwoFive || labelAll;
            else
                label = labelAll;
            if (m != 1 && !label && !minor)
                continue;
            out.push_back({v, label ? tickNumber(v) : std::string()});
        }
    }
    return out;
}

std::vector<AxisTick> linearTicks(double lo, double hi, int target) {
    std::vector<AxisTick> out;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi))
        return out;
    const double raw = (hi - lo) / std::max(1, target);
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    double step = p;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= raw) {
            step = m * p;
            break;
        }
    const int decimals = std::max(0, -int(std::floor(std::log10(step) + 1e-9)));
    const bool plain = std::max(std::fabs(lo), std::fabs(hi)) < 1e7 && decimals <= 6;
    for (double i = std::ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i += 1) {
        const double v = std::fabs(i) < 1e-12 ? 0.0 : i * step;
        char b[64];
        if (plain)
            std::snprintf(b, sizeof b, "%.*f", decimals, v);
        else
            std::snprintf(b, sizeof b, "%.4g", v);
        out.push_back({v, b});
    }
    return out;
}

namespace {

std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v);
    std::string s = b;
    if (s == "-0.00")
        s = "0.00";
    return s;
}

std::string color(const Rgb& c) {
    char b[16];
    std::snprintf(b, sizeof b, "#%02x%02x%02x", c.r, c.g, c.b);
    return b;
}

std::string dash(LineStyle l) {
    switch (l) {
    case LineStyle::Solid:
        return "";
    case LineStyle::Dash:
        return " stroke-dasharray=\"7,4\"";
    case LineStyle::Dot:
        return " stroke-dasharray=\"2,3\"";
    }
    return "";
}

/// Rough text width (sans-serif) for layout: SVG has no text metrics before it is shown.
double textWidth(const std::string& s, double fontPx) {
    std::size_t chars = 0;
    for (unsigned char c : s)
        chars += (c & 0xC0) != 0x80; // count UTF-8 code points
    return double(chars) * fontPx * 0.56;
}

/// Liang-Barsky: clips the segment (ax,ay)-(bx,by) to the rectangle; false when nothing of it is inside.
bool clipSegment(double x0, double y0, double x1, double y1, double& ax, double& ay, double& bx, double& by) {
    const double dx = bx - ax, dy = by - ay;
    double t0 = 0, t1 = 1;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {ax - x0, x1 - ax, ay - y0, y1 - ay};
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return false;
            continue;
        }
        const double r = q[i] / p[i];
        if (p[i] < 0)
            t0 = std::max(t0, r);
        else
            t1 = std::min(t1, r);
        if (t0 > t1)
            return false;
    }
    const double sx = ax, sy = ay;
    ax = sx + t0 * dx;
    ay = sy + t0 * dy;
    bx = sx + t1 * dx;
    by = sy + t1 * dy;
    return true;
}

/// One axis mapped onto pixels.
struct Scale {
    bool log = false;
    double lo = 0, hi = 1, p0 = 0, p1 = 1; ///< data range onto pixels p0 (at lo) .. p1 (at hi)
    bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
    double operator()(double v) const {
        const double t =
            log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
        return p0 + t * (p1 - p0);
    }
};

/// The axis range: the spec's when given, else the data's with a margin (log: x/÷1.4; linear: 5 %, bars from 0).
void fitRange(const PlotAxis& a, const std::vector<double>& values, bool fromZero, double& lo, double& hi) {
    if (a.min < a.max && (!a.log || a.min > 0)) {
        lo = a.min;
        hi = a.max;
        return;
    }
    lo = 1e300;
    hi = -1e300;
    for (double v : values)
        if (std::isfinite(v) && (!a.log || v > 0)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (lo > hi) {
        lo = a.log ? 1 : 0;
        hi = a.log ? 10 : 1;
        return;
    }
    if (a.log) {
        if (hi <= lo * 1.0001) {
            lo /= 2;
            hi *= 2;
        }
        lo /= 1.4;
        hi *= 1.4;
        return;
    }
    if (fromZero)
        lo = std::min(lo, 0.0);
    if (hi <= lo)
        hi = lo + 1;
    const double pad = (hi - lo) * 0.05;
    if (!(fromZero && lo == 0))
        lo -= pad;
    hi += pad;
}

} // namespace

std::string SvgPlotRenderer::render(const PlotSpec& spec, PlotFormat format) {
    if (format != PlotFormat::Svg)
        throw std::runtime_error("the SVG plot renderer makes SVG only (PNG and PDF: rooflab-gui --report)");
    const double W = std::max(200, spec.widthPx), H = std::max(150, spec.heightPx);
    constexpr double kFont = 13, kSmall = 11.5;

    // Data per axis.
    std::vector<double> xs, ys, y2s;
    bool hasBars = false;
    for (const auto& s : spec.series) {
        const std::size_t n = std::min(s.x.size(), s.y.size());
        for (std::size_t i = 0; i < n; ++i) {
            xs.push_back(s.x[i]);
            (s.rightAxis ? y2s : ys).push_back(s.y[i]);
        }
        hasBars = hasBars || s.kind == SeriesKind::Bars;
    }
    if (hasBars) {
        // Stacked heights decide the y range.
        std::vector<double> keys;
        std::vector<double> sums;
        for (const auto& s : spec.series)
            if (s.kind == SeriesKind::Bars)
                for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
                    auto it = std::find(keys.begin(), keys.end(), s.x[i]);
                    if (it == keys.end()) {
                        keys.push_back(s.x[i]);
                        sums.push_back(0);
                        it = keys.end() - 1;
                    }
                    if (std::isfinite(s.y[i]))
                        sums[std::size_t(it - keys.begin())] += s.y[i];
                }
        ys.insert(ys.end(), sums.begin(), sums.end());
        for (double k : keys) {
            xs.push_back(k - spec.barWidth / 2);
            xs.push_back(k + spec.barWidth / 2);
        }
    }
    for (const auto& m : spec.markers)
        xs.push_back(m.x);
    for (const auto& c : spec.x.categories)
        xs.push_back(c.first);
    Scale sx, sy, sy2;
    sx.log = spec.x.log;
    sy.log = spec.y.log;
    sy2.log = spec.y2.log;
    fitRange(spec.x, xs, false, sx.lo, sx.hi);
    fitRange(spec.y, ys, hasBars, sy.lo, sy.hi);
    if (spec.hasY2)
        fitRange(spec.y2, y2s, false, sy2.lo, sy2.hi);

    // Layout: title on top, tick labels and axis titles around the plot area.
    double maxCat = 0;
    for (const auto& c : spec.x.categories)
        maxCat = std::max(maxCat, textWidth(c.second, kSmall));
    const double angle = spec.x.tickLabelAngleDeg * std::numbers::pi / 180.0;
    const double bottomTicks = spec.x.categories.empty() ? 22 : maxCat * std::sin(angle) + kSmall + 12;
    const double left = 78, right = spec.hasY2 ? 84 : 24, top = 44;
    const double bottom = std::min(H * 0.45, bottomTicks + (spec.x.label.empty() ? 8 : 30));
    const double px0 = left, px1 = W - right, py0 = top, py1 = H - bottom;
    sx.p0 = px0;
    sx.p1 = px1;
    sy.p0 = py1;
    sy.p1 = py0;
    sy2.p0 = py1;
    sy2.p1 = py0;
    const double xSlack = (sx.log ? 0.0 : (sx.hi - sx.lo) * 1e-9);
    auto inX = [&](double v) {
        return sx.valid(v) && v >= (sx.log ? sx.lo * (1 - 1e-9) : sx.lo - xSlack) &&
               v <= (sx.log ? sx.hi * (1 + 1e-9) : sx.hi + xSlack);
    };

    auto inside = [&](double x, double y) {
        return x >= px0 - 0.5 && x <= px1 + 0.5 && y >= py0 - 0.5 && y <= py1 + 0.5;
    };

    std::ostringstream o;
    const std::string clip = "clip-" + (spec.name.empty() ? std::string("plot") : spec.name);
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
      << " " << H << "\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"" << kFont << "\">\n";
    o << "<title>" << markupEscape(spec.title) << "</title>\n";
    o << "<rect width=\"" << W << "\" height=\"" << H << "\" fill=\"#ffffff\"/>\n";
    o << "<defs><clipPath id=\"" << markupEscape(clip) << "\"><rect x=\"" << num(px0) << "\" y=\"" << num(py0)
      << "\" width=\"" << num(px1 - px0) << "\" height=\"" << num(py1 - py0) << "\"/></clipPath></defs>\n";
    o << "<text x=\"" << num(W / 2) << "\" y=\"26\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"14\">"
      << markupEscape(spec.title) << "</text>\n";

    // Grid and ticks.
    auto ticksOf = [&](const PlotAxis& a, const Scale& s) {
        return a.log ? logTicks(s.lo, s.hi) : linearTicks(s.lo, s.hi, 6);
    };
    o << "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
    if (spec.x.categories.empty())
        for (const auto& t : ticksOf(spec.x, sx))
            if (!t.label.empty())
                o << "<line x1=\"" << num(sx(t.value)) << "\" y1=\"" << num(py0) << "\" x2=\"" << num(sx(t.value))
                  << "\" y2=\"" << num(py1) << "\"/>\n";
    for (const auto& t : ticksOf(spec.y, sy))
        if (!t.label.empty())
            o << "<line x1=\"" << num(px0) << "\" y1=\"" << num(sy(t.value)) << "\" x2=\"" << num(px1) << "\" y2=\""
              << num(sy(t.value)) << "\"/>\n";
    o << "</g>\n";
    o << "<rect x=\"" << num(px0) << "\" y=\"" << num(py0) << "\" width=\"" << num(px1 - px0) << "\" height=\""
      << num(py1 - py0) << "\" fill=\"none\" stroke=\"#333333\"/>\n";

    o << "<g font-size=\"" << kSmall << "\" fill=\"#333333\">\n";
    if (spec.x.categories.empty()) {
        for (const auto& t : ticksOf(spec.x, sx)) {
            const double x = sx(t.value);
            o << "<line x1=\"" << num(x) << "\" y1=\"" << num(py1) << "\" x2=\"" << num(x) << "\" y2=\""
              << num(py1 + (t.label.empty() ? 3 : 6)) << "\" stroke=\"#333333\"/>\n";
            if (!t.label.empty())
                o << "<text x=\"" << num(x) << "\" y=\"" << num(py1 + 19) << "\" text-anchor=\"middle\">"
                  << markupEscape(t.label) << "</text>\n";
        }
    } else {
        for (const auto& [v, name] : spec.x.categories) {
            if (!inX(v))
                continue;
            const double x = sx(v);
            o << "<line x1=\"" << num(x) << "\" y1=\"" << num(py1) << "\" x2=\"" << num(x) << "\" y2=\"" << num(py1 + 5)
              << "\" stroke=\"#333333\"/>\n";
            if (spec.x.tickLabelAngleDeg != 0)
                o << "<text x=\"" << num(x) << "\" y=\"" << num(py1 + 10)
                  << "\" text-anchor=\"end\" transform=\"rotate(" << num(-spec.x.tickLabelAngleDeg) << " " << num(x)
                  << " " << num(py1 + 10) << ")\" dy=\"0.35em\">" << markupEscape(name) << "</text>\n";
            else
                o << "<text x=\"" << num(x) << "\" y=\"" << num(py1 + 19) << "\" text-anchor=\"middle\">"
                  << markupEscape(name) << "</text>\n";
        }
    }
    auto yTicks = [&](const PlotAxis& a, const Scale& s, bool rightSide) {
        const double x0 = rightSide ? px1 : px0;
        const double dir = rightSide ? 1 : -1;
        for (const auto& t : ticksOf(a, s)) {
            const double y = s(t.value);
            o << "<line x1=\"" << num(x0) << "\" y1=\"" << num(y) << "\" x2=\""
              << num(x0 + dir * (t.label.empty() ? 3 : 6)) << "\" y2=\"" << num(y) << "\" stroke=\"#333333\"/>\n";
            if (!t.label.empty())
                o << "<text x=\"" << num(x0 + dir * 9) << "\" y=\"" << num(y) << "\" dy=\"0.35em\" text-anchor=\""
                  << (rightSide ? "start" : "end") << "\">" << markupEscape(t.label) << "</text>\n";
        }
    };
    yTicks(spec.y, sy, false);
    if (spec.hasY2) {
        o << "<line x1=\"" << num(px1) << "\" y1=\"" << num(py0) << "\" x2=\"" << num(px1) << "\" y2=\"" << num(py1)
          << "\" stroke=\"#333333\"/>\n";
        yTicks(spec.y2, sy2, true);
    }
    o << "</g>\n";
    auto axisTitle = [&](const PlotAxis& a, double x, double y, double rotate) {
        if (a.label.empty())
            return;
        o << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" text-anchor=\"middle\"";
        if (rotate != 0)
            o << " transform=\"rotate(" << num(rotate) << " " << num(x) << " " << num(y) << ")\"";
        if (a.labelColor)
            o << " fill=\"" << color(*a.labelColor) << "\"";
        o << ">" << markupEscape(a.label) << "</text>\n";
    };
    axisTitle(spec.x, (px0 + px1) / 2, H - 10, 0);
    axisTitle(spec.y, 18, (py0 + py1) / 2, -90);
    if (spec.hasY2)
        axisTitle(spec.y2, W - 14, (py0 + py1) / 2, 90);

    // Data, clipped to the plot area.
    o << "<g clip-path=\"url(#" << markupEscape(clip) << ")\">\n";
    std::vector<std::pair<double, double>> stack; // x -> top of the bar stack so far
    for (const auto& s : spec.series) {
        const Scale& ys2 = s.rightAxis ? sy2 : sy;
        const std::size_t n = std::min(s.x.size(), s.y.size());
        switch (s.kind) {
        case SeriesKind::Line: {
            // Clipped here as well as by the clip path: not every SVG viewer honours clip paths.
            std::string pts;
            auto flush = [&]() {
                if (pts.find(' ') != std::string::npos)
                    o << "<polyline fill=\"none\" stroke=\"" << color(s.color) << "\" stroke-width=\"" << num(s.widthPx)
                      << "\"" << dash(s.line) << " points=\"" << pts << "\"/>\n";
                pts.clear();
            };
            auto add = [&](double x, double y) {
                if (!pts.empty())
                    pts += ' ';
                pts += num(x) + "," + num(y);
            };
            bool havePrev = false;
            double qx = 0, qy = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (!sx.valid(s.x[i]) || !ys2.valid(s.y[i])) {
                    flush();
                    havePrev = false;
                    continue;
                }
                const double cx = sx(s.x[i]), cy = ys2(s.y[i]);
                if (havePrev) {
                    double ax = qx, ay = qy, bx = cx, by = cy;
                    if (clipSegment(px0, py0, px1, py1, ax, ay, bx, by)) {
                        if (pts.empty() || ax != qx || ay != qy) {
                            flush();
                            add(ax, ay);
                        }
                        add(bx, by);
                        if (bx != cx || by != cy)
                            flush();
                    } else {
                        flush();
                    }
                } else if (n == 1 && cx >= px0 && cx <= px1 && cy >= py0 && cy <= py1) {
                    add(cx, cy);
                }
                qx = cx;
                qy = cy;
                havePrev = true;
            }
            flush();
            break;
        }
        case SeriesKind::Scatter:
            for (std::size_t i = 0; i < n; ++i)
                if (sx.valid(s.x[i]) && ys2.valid(s.y[i]) && inside(sx(s.x[i]), ys2(s.y[i])))
                    o << "<circle cx=\"" << num(sx(s.x[i])) << "\" cy=\"" << num(ys2(s.y[i])) << "\" r=\""
                      << num(s.widthPx / 2) << "\" fill=\"" << color(s.color) << "\" fill-opacity=\"0.8\" stroke=\""
                      << color(s.color) << "\"/>\n";
            break;
        case SeriesKind::Bars:
            for (std::size_t i = 0; i < n; ++i) {
                if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || s.y[i] <= 0)
                    continue;
                auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& e) { return e.first == s.x[i]; });
                if (it == stack.end()) {
                    stack.push_back({s.x[i], sy.log ? sy.lo : 0.0});
                    it = stack.end() - 1;
                }
                const double base = it->second, topV = base + s.y[i];
                it->second = topV;
                const double xa = sx(s.x[i] - spec.barWidth / 2), xb = sx(s.x[i] + spec.barWidth / 2);
                const double ya = std::max(py0, sy(topV)), yb = std::min(py1, sy(base));
                o << "<rect x=\"" << num(xa) << "\" y=\"" << num(ya) << "\" width=\"" << num(std::max(0.0, xb - xa))
                  << "\" height=\"" << num(std::max(0.0, yb - ya)) << "\" fill=\"" << color(s.color) << "\"/>\n";
            }
            break;
        }
    }
    for (const auto& m : spec.markers) {
        if (!inX(m.x))
            continue;
        const double x = sx(m.x);
        o << "<line x1=\"" << num(x) << "\" y1=\"" << num(py0) << "\" x2=\"" << num(x) << "\" y2=\"" << num(py1)
          << "\" stroke=\"" << color(m.color) << "\" stroke-width=\"1.5\"" << dash(m.line) << "/>\n";
        if (!m.text.empty())
            o << "<text x=\"" << num(x + 4) << "\" y=\"" << num(py0 + m.labelAt * (py1 - py0))
              << "\" dy=\"0.35em\" fill=\"" << color(m.color) << "\" font-size=\"" << kSmall << "\">"
              << markupEscape(m.text) << "</text>\n";
    }
    for (const auto& t : spec.texts)
        if (sx.valid(t.x) && sy.valid(t.y) && inside(sx(t.x), sy(t.y)))
            o << "<text x=\"" << num(sx(t.x)) << "\" y=\"" << num(sy(t.y) - 4) << "\" text-anchor=\""
              << (t.alignRight ? "end" : "start") << "\" fill=\"" << color(t.color) << "\" font-size=\"" << kSmall
              << "\">" << markupEscape(t.text) << "</text>\n";
    o << "</g>\n";

    // Legend.
    std::vector<const PlotSeries*> shown;
    std::set<std::string> names;
    for (const auto& s : spec.series)
        if (s.inLegend && !s.name.empty() && names.insert(s.name).second)
            shown.push_back(&s);
    if (!shown.empty()) {
        double wMax = 0;
        for (const auto* s : shown)
            wMax = std::max(wMax, textWidth(s->name, kSmall));
        const double lh = 17, lw = wMax + 42, lhTotal = lh * double(shown.size()) + 8;
        const bool rightSide = spec.legend == LegendCorner::TopRight || spec.legend == LegendCorner::BottomRight;
        const bool topSide = spec.legend == LegendCorner::TopLeft || spec.legend == LegendCorner::TopRight;
        const double lx = rightSide ? px1 - lw - 8 : px0 + 8;
        const double ly = topSide ? py0 + 8 : py1 - lhTotal - 8;
        o << "<g font-size=\"" << kSmall << "\">\n<rect x=\"" << num(lx) << "\" y=\"" << num(ly) << "\" width=\""
          << num(lw) << "\" height=\"" << num(lhTotal)
          << "\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n";
        for (std::size_t i = 0; i < shown.size(); ++i) {
            const PlotSeries& s = *shown[i];
            const double cy = ly + 4 + lh * (double(i) + 0.5);
            switch (s.kind) {
            case SeriesKind::Line:
                o << "<line x1=\"" << num(lx + 6) << "\" y1=\"" << num(cy) << "\" x2=\"" << num(lx + 30) << "\" y2=\""
                  << num(cy) << "\" stroke=\"" << color(s.color) << "\" stroke-width=\"" << num(s.widthPx) << "\""
                  << dash(s.line) << "/>\n";
                break;
            case SeriesKind::Scatter:
                o << "<circle cx=\"" << num(lx + 18) << "\" cy=\"" << num(cy) << "\" r=\"4\" fill=\"" << color(s.color)
                  << "\"/>\n";
                break;
            case SeriesKind::Bars:
                o << "<rect x=\"" << num(lx + 10) << "\" y=\"" << num(cy - 5) << "\" width=\"16\" height=\"10\" fill=\""
                  << color(s.color) << "\"/>\n";
                break;
            }
            o << "<text x=\"" << num(lx + 36) << "\" y=\"" << num(cy) << "\" dy=\"0.35em\">" << markupEscape(s.name)
              << "</text>\n";
        }
        o << "</g>\n";
    }
    o << "</svg>\n";
    return o.str();
}

} // namespace rooflab::report
