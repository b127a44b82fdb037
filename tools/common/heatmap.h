#pragma once
// Heat maps as standalone SVG files (any browser opens them): a grid of cells shaded by value
// with a label per row and per column, e.g. a Transformer's cross-attention between a source
// sentence (columns) and its translation (rows).
#include <string>
#include <vector>

namespace ember::tools {

struct HeatMap {
  std::string title;
  std::vector<std::string> row_labels;      // one per row, left of the grid
  std::vector<std::string> column_labels;   // one per column, above the grid, read bottom-up
  std::vector<double> values;               // row-major: rows x columns, all finite
  std::string row_caption, column_caption;  // what the rows / columns are; may be empty
};

// Writes the map atomically (temp file, rename): one square cell per value, shaded from white
// (0, or the smallest value when that is negative) to dark blue (the largest), its value in a
// tooltip; a colour scale on the right. Labels longer than 24 characters are shortened. Throws
// for an empty grid, a size mismatch or a non-finite value.
void write_svg_heatmap(const std::string& path, const HeatMap& map);

}  // namespace ember::tools
