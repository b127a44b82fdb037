#pragma once
// A terminal progress bar for training loops: position, throughput, loss, learning rate and
// ETA on one line, redrawn in place on a terminal and printed every few seconds otherwise (logs
// stay readable when stderr is a file).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace ember::tools {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total)
      : label_(std::move(label)),
        total_(total),
        tty_(isatty(fileno(stderr)) != 0),
        start_(Clock::now()),
        last_(start_) {}

  // Call after each step; `tokens` is what the step processed (for tokens/s).
  void update(int64_t done, int64_t tokens, double loss, double lr) {
    tokens_ += tokens;
    const auto now = Clock::now();
    const double since_draw = std::chrono::duration<double>(now - last_).count();
    if (done < total_ && since_draw < (tty_ ? 0.2 : 10.0)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(tokens_) / elapsed : 0;
    const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / done : 0;
    constexpr int kWidth = 24;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : 0;
    const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
    const std::string line =
        fmt::format("{} [{}] {}/{}  {:.0f} tok/s  loss {:.4f}  lr {:.2e}  {} left", label_, bar,
                    done, total_, rate, loss, lr, clock(eta));
    if (tty_)
      fmt::print(stderr, "\r{:<110}", line);
    else
      fmt::print(stderr, "{}\n", line);
    if (done >= total_ && tty_) fmt::print(stderr, "\n");
    std::fflush(stderr);
  }

  double elapsed_seconds() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }
  int64_t tokens() const { return tokens_; }

  static std::string clock(double seconds) {
    const auto s = static_cast<int64_t>(seconds + 0.5);
    return s >= 3600 ? fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60)
                     : fmt::format("{}m{:02d}s", s / 60, s % 60);
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  int64_t total_;
  bool tty_;
  int64_t tokens_ = 0;
  Clock::time_point start_, last_;
};

}  // namespace ember::tools
