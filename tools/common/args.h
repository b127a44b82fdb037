#pragma once
// A small command-line parser for ember's tools: --flag VALUE and --switch, with --help text
// generated from the declarations and clear errors for unknown flags or bad values.
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace ember::tools {

class Args {
 public:
  Args(std::string program, std::string summary)
      : program_(std::move(program)), summary_(std::move(summary)) {}

  // Declares an option taking a value; `fallback` is shown in --help.
  Args& option(const std::string& name, const std::string& help, const std::string& fallback = "") {
    specs_.push_back({name, help, fallback, true});
    return *this;
  }
  // Declares a switch (no value).
  Args& flag(const std::string& name, const std::string& help) {
    specs_.push_back({name, help, "", false});
    return *this;
  }

  // Parses argv; prints usage and exits 0 on --help, 2 on a bad command line. Arguments not
  // starting with "--" are collected as positionals.
  void parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        fmt::print("{}", usage());
        std::exit(0);
      }
      if (arg.rfind("--", 0) != 0) {
        positionals_.push_back(arg);
        continue;
      }
      const Spec* spec = find(arg.substr(2));
      if (!spec) die(fmt::format("unknown option {}", arg));
      if (!spec->takes_value) {
        values_[spec->name] = "1";
        continue;
      }
      if (i + 1 >= argc) die(fmt::format("{} needs a value", arg));
      values_[spec->name] = argv[++i];
    }
  }

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name) const {
    auto it = values_.find(name);
    if (it != values_.end()) return it->second;
    const Spec* spec = find(name);
    return spec ? spec->fallback : "";
  }
  int64_t get_int(const std::string& name) const {
    const std::string v = get(name);
    try {
      size_t used = 0;
      const long long n = std::stoll(v, &used);
      if (used == v.size()) return n;
    } catch (...) {
    }
    die(fmt::format("--{} expects an integer, got '{}'", name, v));
  }
  double get_double(const std::string& name) const {
    const std::string v = get(name);
    try {
      size_t used = 0;
      const double d = std::stod(v, &used);
      if (used == v.size()) return d;
    } catch (...) {
    }
    die(fmt::format("--{} expects a number, got '{}'", name, v));
  }
  const std::vector<std::string>& positionals() const { return positionals_; }

  std::string usage() const {
    std::string out = fmt::format("{}: {}\n\noptions:\n", program_, summary_);
    for (const auto& s : specs_)
      out += fmt::format("  --{:<22} {}{}\n", s.name + (s.takes_value ? " V" : ""), s.help,
                         s.fallback.empty() ? "" : fmt::format(" (default {})", s.fallback));
    out += "  --help                   this text\n";
    return out;
  }

  [[noreturn]] void die(const std::string& why) const {
    fmt::print(stderr, "{}: {}\n(see {} --help)\n", program_, why, program_);
    std::exit(2);
  }

 private:
  struct Spec {
    std::string name, help, fallback;
    bool takes_value;
  };
  const Spec* find(const std::string& name) const {
    for (const auto& s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  }
  std::string program_, summary_;
  std::vector<Spec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

}  // namespace ember::tools
