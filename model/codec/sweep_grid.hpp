#pragma once
/// @brief Sweep grids from text (command-line options or a YAML grid file) into a SweepSpace: loads the platforms,
/// models and stacks the grid names. The I/O side of sweeps; analysis/sweep.hpp evaluates the space and does no I/O.
#include "analysis/sweep.hpp"

#include <map>
#include <string>

namespace rooflab {

/// @brief A sweep grid as text, one string per axis in the list/range syntax of parseIntList (names and
/// datatypes comma-separated). Empty strings keep the default. Read from the command line or a YAML grid file.
struct SweepGridText {
    std::string platform, model, stack, phase, batch, prompt, context, output, tp, pp, ep, weights, kv, act, chunk;
    /// Axes read from a grid file: axis key -> (file, line), for messages. Others are named as options (--batch).
    std::map<std::string, std::pair<std::string, int>> origin;
};

/// @brief Reads a YAML grid file: a mapping with any of the keys platform, model, stack, phase, batch, prompt,
/// context, output, tp, pp, ep, weights, kv, act, chunk; each a scalar (list/range text) or a sequence of scalars.
/// Unknown keys are errors (with did-you-mean). Throws InputError naming file, line and key.
SweepGridText loadSweepGridFile(const std::string& path);

/// @brief Overlays `over` onto `base`: every non-empty axis of `over` replaces the base's.
void overlaySweepGrid(SweepGridText& base, const SweepGridText& over);

/// @brief Loads the platforms, models and stacks the grid names and parses every axis. Throws InputError naming
/// the axis (and the grid file's line when it came from one). Point-count limit: `maxPoints`.
SweepSpace buildSweepSpace(const SweepGridText& g, uint64_t maxPoints = uint64_t(1) << 34);

} // namespace rooflab
