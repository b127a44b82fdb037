#pragma once
// Line charts as standalone SVG files (any browser opens them): one x axis, up to two y axes,
// e.g. training/validation loss on the left and validation BLEU on the right.
#include <string>
#include <vector>

namespace ember::tools {

struct Series {
  std::string name;
  std::vector<double> x, y;
  bool right_axis = false;  // plotted against the right-hand y axis
};

// Writes the chart atomically (temp file, rename). Series with no points are skipped.
void write_svg_chart(const std::string& path, const std::string& title, const std::string& x_label,
                     const std::string& left_label, const std::string& right_label,
                     const std::vector<Series>& series);

}  // namespace ember::tools
