#include "helpers.h"

#include "ember/models/transformer/decode.h"
#include "ember/models/transformer/model.h"

using namespace ember;
using namespace ember::testing;
using namespace ember::models;

TEST_CASE("Transformer: smoke") {
  manual_seed(1);
  Transformer model(TransformerConfig::preset("tiny", 11, 13));
  const Tensor src = randint(4, 11, {2, 5});
  const Tensor tgt = randint(4, 13, {2, 4});
  CHECK(model.forward(src, tgt).sizes() == Shape{2, 4, 13});
  auto out = greedy_decode(model, src);
  CHECK(out.size() == 2);
  auto beams = beam_search(model, src);
  CHECK(beams.size() == 2);
}
