#include "plot.h"

#include "svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include <ember/core/error.h>

namespace ember::tools {

namespace {

constexpr double kWidth = 800, kHeight = 480;
constexpr double kLeft = 70, kRight = 70, kTop = 40, kBottom = 50;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  void settle() {
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) hi = lo + 1;
  }
};

}  // namespace

void write_svg_chart(const std::string& path, const std::string& title, const std::string& x_label,
                     const std::string& left_label, const std::string& right_label,
                     const std::vector<Series>& series) {
  Range xr, left, right;
  bool any_right = false;
  for (const auto& s : series) {
    for (double v : s.x) xr.add(v);
    for (double v : s.y) (s.right_axis ? right : left).add(v);
    any_right = any_right || (s.right_axis && !s.y.empty());
  }
  xr.settle();
  left.settle();
  right.settle();
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - xr.lo) / (xr.hi - xr.lo) * pw; };
  auto py = [&](double y, const Range& r) { return kTop + ph - (y - r.lo) / (r.hi - r.lo) * ph; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"{}\" y=\"24\" font-size=\"15\" "
      "text-anchor=\"middle\">{}</text>\n",
      kWidth, kHeight, kWidth / 2, xml_text(title));
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", kLeft,
      kTop, pw, ph);
  for (int i = 0; i <= 5; ++i) {  // ticks and grid
    const double fx = xr.lo + (xr.hi - xr.lo) * i / 5, fl = left.lo + (left.hi - left.lo) * i / 5;
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#eee\"/>"
        "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4:.4g}</text>\n",
        px(fx), kTop, kTop + ph, kTop + ph + 16, fx);
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#eee\"/>"
        "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5:.4g}</text>\n",
        kLeft, py(fl, left), kLeft + pw, kLeft - 6, py(fl, left) + 4, fl);
    if (any_right) {
      const double fr = right.lo + (right.hi - right.lo) * i / 5;
      svg += fmt::format("<text x=\"{}\" y=\"{}\">{:.4g}</text>\n", kLeft + pw + 6,
                         py(fr, right) + 4, fr);
    }
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", kLeft + pw / 2,
                     kHeight - 12, xml_text(x_label));
  svg += fmt::format(
      "<text x=\"16\" y=\"{0}\" transform=\"rotate(-90 16 {0})\" "
      "text-anchor=\"middle\">{1}</text>\n",
      kTop + ph / 2, xml_text(left_label));
  if (any_right)
    svg += fmt::format(
        "<text x=\"{0}\" y=\"{1}\" transform=\"rotate(90 {0} {1})\" "
        "text-anchor=\"middle\">{2}</text>\n",
        kWidth - 14, kTop + ph / 2, xml_text(right_label));
  int color = 0, legend = 0;
  for (const auto& s : series) {
    if (s.y.empty()) continue;
    const char* c = kColors[color++ % 6];
    std::string points;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.y[i]))
        points +=
            fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(s.y[i], s.right_axis ? right : left));
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
                       c, points);
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{}{}</text>\n",
        kLeft + 10, kTop + 12 + 16 * legend, c, kLeft + 28, kTop + 16 + 16 * legend,
        xml_text(s.name), s.right_axis ? " (right axis)" : "");
    ++legend;
  }
  svg += "</svg>\n";

  write_file_atomically(path, svg, "write_svg_chart");
}

}  // namespace ember::tools
