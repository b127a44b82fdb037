#pragma once
// Small generated parallel text and a scratch folder for the data tests (never the real dataset).
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ember/data/text_file.h"
#include "ember/data/translation.h"

namespace ember::testing {

// A folder under the system temp dir, removed with everything in it when the test ends.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              fmt::format("ember-data-test-{}-{}", name, ::getpid())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// `count` English/German caption pairs built from a few phrases (Multi30k-like, with umlauts,
// commas and full stops). Deterministic; no two consecutive pairs are equal.
inline data::ParallelCorpus caption_corpus(int count) {
  static const std::vector<std::pair<std::string, std::string>> subjects = {
      {"A man", "Ein Mann"},
      {"A woman", "Eine Frau"},
      {"Two dogs", "Zwei Hunde"},
      {"A little girl", "Ein kleines Mädchen"},
      {"The children", "Die Kinder"},
      {"A young boy", "Ein junger Junge"},
      {"An older man", "Ein älterer Mann"},
      {"Three people", "Drei Personen"}};
  static const std::vector<std::pair<std::string, std::string>> verbs = {
      {"is playing", "spielt"},
      {"are running", "rennen"},
      {"is sitting", "sitzt"},
      {"is walking, slowly,", "geht, langsam,"},
      {"is riding a bike", "fährt Fahrrad"}};
  static const std::vector<std::pair<std::string, std::string>> places = {
      {"in the park.", "im Park."},
      {"on the beach.", "am Strand."},
      {"near a fountain.", "neben einem Brunnen."},
      {"in front of a red building.", "vor einem roten Gebäude."},
      {"on a busy street.", "auf einer belebten Straße."}};
  data::ParallelCorpus corpus;
  corpus.src_path = "captions.en";
  corpus.tgt_path = "captions.de";
  for (int i = 0; i < count; ++i) {
    const auto& s = subjects[i % subjects.size()];
    const auto& v = verbs[(i / subjects.size()) % verbs.size()];
    const auto& p = places[(i / (subjects.size() * verbs.size()) + i) % places.size()];
    corpus.src.push_back(s.first + " " + v.first + " " + p.first);
    corpus.tgt.push_back(s.second + " " + v.second + " " + p.second);
  }
  return corpus;
}

}  // namespace ember::testing
