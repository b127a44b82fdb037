// Custom functions: run the user's forward without recording, then attach one FunctionNode to
// the outputs whose backward calls the user's backward.
#include "ember/core/function.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "ember/ops/factory.h"

namespace ember {

struct FunctionContext::Internal {
  static void begin(FunctionContext& ctx, std::string name, const TensorList& inputs) {
    ctx.function_name_ = std::move(name);
    ctx.needs_input_grad_.reserve(inputs.size());
    for (const Tensor& in : inputs) ctx.needs_input_grad_.push_back(needs_grad(in));
  }

  static bool marked_non_differentiable(const FunctionContext& ctx, const Tensor& out) {
    return std::find(ctx.non_differentiable_.begin(), ctx.non_differentiable_.end(), out.impl()) !=
           ctx.non_differentiable_.end();
  }

  // Called once the node exists: outputs saved during forward now have their grad_fn, so
  // SavedTensor can hold that node weakly instead of making a cycle node -> ctx -> output -> node.
  static void seal(FunctionContext& ctx) {
    ctx.saved_.reserve(ctx.pending_.size());
    for (const Tensor& t : ctx.pending_) ctx.saved_.emplace_back(t);
    ctx.pending_.clear();
  }

  static void forget(FunctionContext& ctx) { ctx.pending_.clear(); }
  static void enter_backward(FunctionContext& ctx) { ctx.in_backward_ = true; }
};

void FunctionContext::save_for_backward(const TensorList& tensors) {
  EMBER_CHECK(!in_backward_, "{}: save_for_backward can only be called in forward", function_name_);
  pending_.insert(pending_.end(), tensors.begin(), tensors.end());
}

TensorList FunctionContext::saved() const {
  if (!in_backward_) return pending_;
  TensorList out;
  out.reserve(saved_.size());
  for (const SavedTensor& s : saved_) out.push_back(s.unpack());
  return out;
}

bool FunctionContext::needs_input_grad(size_t i) const {
  EMBER_CHECK(i < needs_input_grad_.size(),
              "{}: needs_input_grad({}) but the function has {} inputs", function_name_, i,
              needs_input_grad_.size());
  return needs_input_grad_[i];
}

void FunctionContext::mark_non_differentiable(const TensorList& outputs) {
  for (const Tensor& t : outputs) {
    check_defined(function_name_ + ": mark_non_differentiable", t);
    non_differentiable_.push_back(t.impl());
  }
}

std::string demangle(const char* mangled) {
  int status = 0;
  char* raw = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && raw ? raw : mangled;
  std::free(raw);
  // "ns::(anonymous namespace)::Cube" reads better as "Cube"; templates keep their full name.
  if (name.find('<') == std::string::npos)
    if (auto colon = name.rfind("::"); colon != std::string::npos) name = name.substr(colon + 2);
  return name;
}

TensorList apply_function(std::string name, const CustomForward& forward, CustomBackward backward,
                          const TensorList& inputs) {
  auto ctx = std::make_shared<FunctionContext>();
  FunctionContext::Internal::begin(*ctx, name, inputs);

  TensorList outputs;
  {
    NoGradGuard no_grad;
    outputs = forward(*ctx, inputs);
  }

  std::vector<bool> differentiable(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    EMBER_CHECK(outputs[i].defined(), "{}: forward returned an undefined tensor as output {}", name,
                i);
    differentiable[i] = outputs[i].is_floating_point() &&
                        !FunctionContext::Internal::marked_non_differentiable(*ctx, outputs[i]);
  }
  // An output that is an input, a repeat of another output, or a tensor already in some graph
  // gets a handle of its own: attaching this node to the original would rewrite its history.
  for (size_t i = 0; i < outputs.size(); ++i) {
    const bool is_input = std::any_of(inputs.begin(), inputs.end(),
                                      [&](const Tensor& in) { return in.is_same(outputs[i]); });
    const bool is_repeat = std::any_of(outputs.begin(), outputs.begin() + static_cast<long>(i),
                                       [&](const Tensor& o) { return o.is_same(outputs[i]); });
    if (is_input || is_repeat || outputs[i].requires_grad()) outputs[i] = outputs[i].detach();
  }

  TensorList attached;
  std::vector<size_t> attached_index;  // position of each attached output among all outputs
  for (size_t i = 0; i < outputs.size(); ++i)
    if (differentiable[i]) {
      attached.push_back(outputs[i]);
      attached_index.push_back(i);
    }

  std::shared_ptr<FunctionNode> node;
  if (!attached.empty()) node = make_node(name, inputs, attached);
  if (!node) {
    FunctionContext::Internal::forget(*ctx);
    return outputs;
  }
  FunctionContext::Internal::seal(*ctx);

  std::vector<TensorMeta> output_meta;
  for (const Tensor& o : outputs) output_meta.push_back({o.sizes(), o.dtype(), o.device()});
  node->backward = [ctx, backward = std::move(backward), attached_index, output_meta,
                    name](const TensorList& attached_grads) -> TensorList {
    TensorList grads(output_meta.size());
    for (size_t k = 0; k < attached_index.size(); ++k) grads[attached_index[k]] = attached_grads[k];
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined())
        grads[i] =
            zeros(output_meta[i].sizes, TensorOptions(output_meta[i].dtype, output_meta[i].device));

    FunctionContext::Internal::enter_backward(*ctx);
    TensorList input_grads = backward(*ctx, grads);
    EMBER_CHECK(input_grads.size() == ctx->num_inputs(),
                "{}: backward returned {} gradients for {} inputs (return one per input, an "
                "undefined Tensor for an input without gradient)",
                name, input_grads.size(), ctx->num_inputs());
    for (size_t i = 0; i < input_grads.size(); ++i)
      if (!ctx->needs_input_grad(i)) input_grads[i] = Tensor();
    return input_grads;
  };
  return outputs;
}

}  // namespace ember
