#include "heatmap.h"

#include "svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include <ember/core/error.h>
#include <ember/data/utf8.h>

namespace ember::tools {

namespace {

constexpr double kCell = 26, kFontSize = 12, kCharWidth = 7.2;  // rough sans-serif advance
constexpr double kPad = 12, kTitleHeight = 36, kCaptionHeight = 20, kLabelGap = 6;
constexpr double kScaleWidth = 14, kScaleGap = 18, kScaleTextWidth = 48;
constexpr size_t kMaxLabelChars = 24;
constexpr int kLow[3] = {255, 255, 255}, kHigh[3] = {8, 48, 107};  // white to dark blue

// Estimated drawn width of a label after shortening.
double label_width(const std::string& label) {
  return static_cast<double>(std::min(code_points(label), kMaxLabelChars)) * kCharWidth;
}

std::string shade(double t) {
  int rgb[3];
  for (int i = 0; i < 3; ++i)
    rgb[i] =
        static_cast<int>(std::lround(kLow[i] + (kHigh[i] - kLow[i]) * std::clamp(t, 0.0, 1.0)));
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

}  // namespace

void write_svg_heatmap(const std::string& path, const HeatMap& map) {
  const size_t rows = map.row_labels.size(), cols = map.column_labels.size();
  EMBER_CHECK(rows > 0 && cols > 0,
              "write_svg_heatmap: needs at least one row and one column label, got {} and {}", rows,
              cols);
  EMBER_CHECK(map.values.size() == rows * cols,
              "write_svg_heatmap: {} row labels x {} column labels need {} values, got {}", rows,
              cols, rows * cols, map.values.size());
  for (size_t i = 0; i < map.values.size(); ++i)
    EMBER_CHECK(std::isfinite(map.values[i]),
                "write_svg_heatmap: value {} (row {}, column {}) is {}, expected a finite number",
                i, i / cols, i % cols, map.values[i]);
  const auto [min_it, max_it] = std::minmax_element(map.values.begin(), map.values.end());
  const double lo = std::min(0.0, *min_it);
  const double hi = *max_it > lo ? *max_it : lo + 1;

  double row_label_width = 0, column_label_height = 0;
  for (const auto& l : map.row_labels) row_label_width = std::max(row_label_width, label_width(l));
  for (const auto& l : map.column_labels)
    column_label_height = std::max(column_label_height, label_width(l));
  const double left =
      kPad + (map.row_caption.empty() ? 0 : kCaptionHeight) + row_label_width + kLabelGap;
  const double top = kTitleHeight + (map.column_caption.empty() ? 0 : kCaptionHeight) +
                     column_label_height + kLabelGap;
  const double grid_w = kCell * static_cast<double>(cols),
               grid_h = kCell * static_cast<double>(rows);
  const double scale_x = left + grid_w + kScaleGap;
  const double title_w = 2 * kPad + static_cast<double>(code_points(map.title)) * kCharWidth * 1.25;
  const double width = std::max(scale_x + kScaleWidth + kScaleTextWidth + kPad, title_w);
  const double height = top + std::max(grid_h, 4 * kFontSize) + kPad;

  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"{}\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{:.1f}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
      width, height, kFontSize, width / 2, xml_text(map.title));
  if (!map.column_caption.empty())
    svg += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" "
        "font-style=\"italic\">{}</text>\n",
        left + grid_w / 2, kTitleHeight + kFontSize, xml_text(map.column_caption));
  if (!map.row_caption.empty())
    svg += fmt::format(
        "<text x=\"{0:.1f}\" y=\"{1:.1f}\" transform=\"rotate(-90 {0:.1f} {1:.1f})\" "
        "text-anchor=\"middle\" font-style=\"italic\">{2}</text>\n",
        kPad + kFontSize, top + grid_h / 2, xml_text(map.row_caption));
  // Column labels run upwards from just above their column.
  for (size_t j = 0; j < cols; ++j) {
    const double x = left + kCell * (static_cast<double>(j) + 0.5) + kFontSize / 3;
    const double y = top - kLabelGap;
    svg += fmt::format(
        "<text x=\"{0:.1f}\" y=\"{1:.1f}\" transform=\"rotate(-90 {0:.1f} {1:.1f})\">"
        "{2}</text>\n",
        x, y, xml_text(map.column_labels[j], kMaxLabelChars));
  }
  for (size_t i = 0; i < rows; ++i)
    svg +=
        fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                    left - kLabelGap, top + kCell * (static_cast<double>(i) + 0.5) + kFontSize / 3,
                    xml_text(map.row_labels[i], kMaxLabelChars));
  for (size_t i = 0; i < rows; ++i) {
    const std::string row = xml_text(map.row_labels[i]);
    for (size_t j = 0; j < cols; ++j) {
      const double v = map.values[i * cols + j];
      svg += fmt::format(
          "<rect class=\"cell\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" "
          "fill=\"{}\" stroke=\"white\" stroke-width=\"0.5\"><title>{} \u2190 {}: "
          "{:.4g}</title></rect>\n",
          left + kCell * static_cast<double>(j), top + kCell * static_cast<double>(i), kCell, kCell,
          shade((v - lo) / (hi - lo)), row, xml_text(map.column_labels[j]), v);
    }
  }
  // The colour scale: lo at the bottom, hi at the top.
  const double scale_h = std::max(grid_h, 4 * kFontSize);
  svg += fmt::format(
      "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
      "<stop offset=\"0\" stop-color=\"{}\"/><stop offset=\"1\" stop-color=\"{}\"/>"
      "</linearGradient></defs>\n"
      "<rect class=\"scale\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\" "
      "fill=\"url(#scale)\" stroke=\"#444\" stroke-width=\"0.5\"/>\n"
      "<text x=\"{:.1f}\" y=\"{:.1f}\">{:.3g}</text>\n<text x=\"{:.1f}\" "
      "y=\"{:.1f}\">{:.3g}</text>\n",
      shade(0), shade(1), scale_x, top, kScaleWidth, scale_h, scale_x + kScaleWidth + 4,
      top + kFontSize * 0.8, hi, scale_x + kScaleWidth + 4, top + scale_h, lo);
  svg += "</svg>\n";
  write_file_atomically(path, svg, "write_svg_heatmap");
}

}  // namespace ember::tools
