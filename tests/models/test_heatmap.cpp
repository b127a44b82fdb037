// The SVG heat map of ember-translate --show-attention (tools/common/heatmap.cpp, compiled into
// this test binary).
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "ember/tools/common/heatmap.h"
#include "helpers.h"

using ember::tools::HeatMap;
using ember::tools::write_svg_heatmap;

namespace {

std::filesystem::path temp_svg(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         fmt::format("ember-heatmap-{}-{}.svg", name, ::getpid());
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

HeatMap three_by_four() {
  return {.title = "attention <layer 1> & \"friends\"",
          .row_labels = {"\u2581Ein", "Mann", "<eos>"},
          .column_labels = {"\u2581A", "man's", "R&D", "<eos>"},
          .values = {0.7, 0.1, 0.2, 0.0,  //
                     0.0, 1.0, 0.0, 0.0,  //
                     0.25, 0.25, 0.25, 0.25},
          .row_caption = "translation",
          .column_caption = "source"};
}

}  // namespace

TEST_CASE("write_svg_heatmap: one shaded cell per value, labels escaped, atomic") {
  const auto path = temp_svg("cells");
  write_svg_heatmap(path.string(), three_by_four());
  const std::string svg = read(path);
  std::filesystem::remove(path);
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));

  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(count(svg, "<rect class=\"cell\"") == 12);
  // The largest value is the darkest cell, 0 is white.
  CHECK(count(svg, "fill=\"#08306b\"") == 1);
  CHECK(count(svg, "class=\"cell\"") == count(svg, "<title>"));
  CHECK(svg.find("<title>Mann \u2190 man&apos;s: 1</title>") != std::string::npos);
  CHECK(count(svg, "fill=\"#ffffff\"") == 4);  // the four zeros

  CHECK(svg.find("attention &lt;layer 1&gt; &amp; &quot;friends&quot;") != std::string::npos);
  CHECK(svg.find(">&lt;eos&gt;</text>") != std::string::npos);
  CHECK(svg.find(">R&amp;D</text>") != std::string::npos);
  CHECK(svg.find(">\u2581Ein</text>") != std::string::npos);
  CHECK(svg.find("<eos>") == std::string::npos);
  CHECK(svg.find("R&D") == std::string::npos);
  CHECK(svg.find(">source</text>") != std::string::npos);
  CHECK(svg.find(">translation</text>") != std::string::npos);
}

TEST_CASE("write_svg_heatmap: long labels shortened, bad bytes replaced") {
  HeatMap map{.title = "t",
              .row_labels = {std::string(30, 'x')},
              .column_labels = {"a\x01"
                                "b",
                                "c\xff"},
              .values = {0.5, 0.5}};
  const auto path = temp_svg("labels");
  write_svg_heatmap(path.string(), map);
  const std::string svg = read(path);
  std::filesystem::remove(path);
  CHECK(svg.find(">" + std::string(23, 'x') + "\u2026</text>") != std::string::npos);
  CHECK(svg.find(">a\uFFFDb</text>") != std::string::npos);
  CHECK(svg.find(">c\uFFFD</text>") != std::string::npos);
  CHECK(svg.find('\x01') == std::string::npos);
  CHECK(svg.find('\xff') == std::string::npos);
  // All values equal and positive: the scale runs from 0, so the cells are not white.
  CHECK(count(svg, "<rect class=\"cell\"") == 2);
  CHECK(count(svg, "fill=\"#08306b\"") == 2);
}

TEST_CASE("write_svg_heatmap: bad input") {
  HeatMap map = three_by_four();
  const std::string path = temp_svg("bad").string();
  map.values.pop_back();
  CHECK_THROWS_CONTAINING(write_svg_heatmap(path, map),
                          "3 row labels x 4 column labels need 12 values, got 11");
  map = three_by_four();
  map.values[5] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_CONTAINING(write_svg_heatmap(path, map), "value 5 (row 1, column 1) is nan");
  CHECK_THROWS_CONTAINING(write_svg_heatmap(path, HeatMap{.title = "empty"}),
                          "needs at least one row and one column label, got 0 and 0");
  CHECK_THROWS_CONTAINING(write_svg_heatmap("/nonexistent-dir/x.svg", three_by_four()),
                          "cannot write /nonexistent-dir/x.svg.tmp");
  CHECK_FALSE(std::filesystem::exists(path));
}
