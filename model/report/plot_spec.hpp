#pragma once
/// @brief A plot as plain data (series, axes, log scales, labels, limits) and the interface that turns it into an
/// image. The report library builds PlotSpecs from engine results and ships an SVG renderer (no Qt); the GUI
/// implements PlotRenderer with QCustomPlot (PNG, PDF). Nothing here draws or does I/O.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rooflab::report {

struct Rgb {
    unsigned char r = 0, g = 0, b = 0;
};

enum class PlotFormat : unsigned char { Svg, Png, Pdf };
/// @brief "svg", "png" or "pdf".
std::string_view plotFormatSuffix(PlotFormat f);

enum class SeriesKind : unsigned char { Line, Scatter, Bars };
enum class LineStyle : unsigned char { Solid, Dash, Dot };

struct PlotSeries {
    std::string name;
    SeriesKind kind = SeriesKind::Line;
    std::vector<double> x, y; ///< same length; a non-finite y (or <= 0 on a log axis) breaks a line
    Rgb color;
    double widthPx = 2; ///< line width; marker diameter for Scatter
    LineStyle line = LineStyle::Solid;
    bool rightAxis = false; ///< plotted against PlotSpec::y2
    bool inLegend = true;
};

struct PlotAxis {
    std::string label;
    bool log = false;
    double min = 0, max = 0; ///< used when min < max; otherwise the range follows the data
    /// Text ticks instead of numbers (bar charts: category index -> name).
    std::vector<std::pair<double, std::string>> categories;
    double tickLabelAngleDeg = 0; ///< rotation of category tick labels
    std::optional<Rgb> labelColor;
};

/// Text at a point in data coordinates (left and bottom axes).
struct PlotText {
    double x = 0, y = 0;
    std::string text;
    Rgb color;
    bool alignRight = false; ///< anchor at the text's right end (else its left end)
};

/// A vertical line across the plot at x, with a label at `labelAt` (0 top .. 1 bottom of the plot area).
struct PlotMarker {
    double x = 0;
    std::string text;
    Rgb color;
    LineStyle line = LineStyle::Dash;
    double labelAt = 0.1;
};

enum class LegendCorner : unsigned char { TopLeft, TopRight, BottomLeft, BottomRight };

struct PlotSpec {
    std::string name;    ///< file stem: "roofline"
    std::string title;   ///< drawn above the plot
    std::string caption; ///< for the page that embeds it
    PlotAxis x, y, y2;
    bool hasY2 = false;
    std::vector<PlotSeries> series; ///< drawn in order; Bars series stack on each other in this order
    double barWidth = 0.7;          ///< in x data units
    std::vector<PlotText> texts;
    std::vector<PlotMarker> markers;
    LegendCorner legend = LegendCorner::TopRight;
    int widthPx = 1200, heightPx = 750;
};

/// @brief A table of a document: a title, a header and formatted cells.
struct DocumentTable {
    std::string title;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

/// @brief A multi-page document: a summary page (title and text lines), then one plot per page, then the tables
/// (operators, platform values with provenance, the platform's sources).
struct PlotDocument {
    std::string title;
    std::vector<std::string> lines;
    std::vector<DocumentTable> tables;
    std::vector<PlotSpec> plots;
    /// The same plots already rendered by this renderer (same order), so a document need not draw them again.
    std::vector<std::string> renderedPlots;
    PlotFormat renderedFormat = PlotFormat::Png;
};

/// @brief Turns PlotSpecs into image bytes. Implementations say which formats they make; a report embeds the
/// first of imageFormats() in its HTML page and writes a PDF when canRenderDocument().
class PlotRenderer {
public:
    virtual ~PlotRenderer() = default;
    /// @brief Formats render() accepts, preferred first.
    virtual std::vector<PlotFormat> imageFormats() const = 0;
    /// @brief The plot as a file's bytes. Throws std::runtime_error when it cannot.
    virtual std::string render(const PlotSpec& spec, PlotFormat format) = 0;
    /// @brief Whether renderDocument() makes a PDF.
    virtual bool canRenderDocument() const { return false; }
    /// @brief The document as PDF bytes. Called on the thread that writes the report files, which may differ from
    /// the one that called render(): implementations use only thread-safe painting here.
    virtual std::string renderDocument(const PlotDocument& doc);
};

/// @brief A pure C++ SVG renderer (no Qt): log axes with 1-2-5 ticks, lines with gaps, scatter, stacked bars,
/// a second y axis, markers and a legend. Deterministic output; safe on any thread.
class SvgPlotRenderer final : public PlotRenderer {
public:
    std::vector<PlotFormat> imageFormats() const override { return {PlotFormat::Svg}; }
    std::string render(const PlotSpec& spec, PlotFormat format) override;
};

/// @brief Tick positions and labels of a log axis over [lo, hi]: decades, with 2 and 5 labelled when the range
/// is short, minor ticks at 2..9 unlabelled otherwise. Labels are unique. Exposed for tests.
struct AxisTick {
    double value = 0;
    std::string label; ///< empty: a minor tick
};
std::vector<AxisTick> logTicks(double lo, double hi);
/// @brief 1-2-5 steps over [lo, hi], about `target` of them, labelled with just enough digits.
std::vector<AxisTick> linearTicks(double lo, double hi, int target = 6);

} // namespace rooflab::report
