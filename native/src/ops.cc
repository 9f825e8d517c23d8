// The op table: each OP is a one-line forward to an ATen function. Argument
// order mirrors the TypeScript wrappers in src/tensor/.
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <c10/core/DeviceGuard.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <link.h>

#include <cstring>
#include <sstream>

#include "bridge.h"

using namespace tn;
using Napi::CallbackInfo;

#define T(i) tensorArg(info, i)
#define R(expr) return wrap(info.Env(), (expr))
#define RI(expr)                  \
  {                               \
    (expr);                       \
    return info.Env().Undefined(); \
  }
#define RL(expr) return wrapList(info.Env(), (expr))
#define NUM(x) Napi::Number::New(info.Env(), static_cast<double>(x))
#define BOOL(x) Napi::Boolean::New(info.Env(), (x))

static Napi::Value pair(Napi::Env env, const std::tuple<at::Tensor, at::Tensor>& tt) {
  return wrapList(env, {std::get<0>(tt), std::get<1>(tt)});
}

// ---------------------------------------------------------------- lifetime, meta

static Holder* holderArg(const CallbackInfo& info) {
  // Unlike T(0), accepts a disposed handle; rejects anything that is no handle.
  if (info.Length() < 1 || !isTensor(info[0])) throw ArgError("argument 0: expected a Tensor");
  return info[0].As<Napi::External<Holder>>().Data();
}
OP(free) {
  release(info.Env(), holderArg(info));
  return info.Env().Undefined();
}
OP(isDisposed) { return BOOL(!holderArg(info)->t.defined()); }
OP(shape) {
  auto& t = T(0);
  auto arr = Napi::Array::New(info.Env(), t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) arr.Set(static_cast<uint32_t>(d), NUM(t.size(d)));
  return arr;
}
OP(dtype) { return Napi::String::New(info.Env(), dtypeName(T(0).scalar_type())); }
OP(device) { return Napi::String::New(info.Env(), T(0).device().str()); }
OP(numel) { return NUM(T(0).numel()); }
OP(isContiguous) { return BOOL(T(0).is_contiguous()); }
OP(sameStorage) { return BOOL(T(0).is_alias_of(T(1))); }
OP(item) {
  auto& t = T(0);
  if (t.numel() != 1) throw ArgError("item() needs a tensor with one element, got " + std::to_string(t.numel()));
  if (t.scalar_type() == at::kBool) return BOOL(t.item<bool>());
  return NUM(t.item<double>());
}

// ---------------------------------------------------------------- creation

OP(fromBuffer) {
  // (typedArray, shape, dtype, device): copies the bytes into a new tensor.
  if (!info[0].IsTypedArray()) throw ArgError("argument 0: expected a TypedArray");
  auto ta = info[0].As<Napi::TypedArray>();
  auto shape = intsArg(info, 1);
  auto dtype = dtypeArg(info, 2);
  auto t = at::empty(shape, at::TensorOptions().dtype(dtype));
  size_t bytes = t.numel() * t.element_size();
  if (ta.ByteLength() != bytes)
    throw ArgError("data has " + std::to_string(ta.ByteLength()) + " bytes but shape and dtype need " + std::to_string(bytes));
  auto buf = ta.ArrayBuffer();
  if (bytes) std::memcpy(t.data_ptr(), static_cast<uint8_t*>(buf.Data()) + ta.ByteOffset(), bytes);
  auto dev = deviceArg(info, 3);
  R(dev.is_cpu() ? t : t.to(dev));
}
// t.set_data(src): t keeps its identity (JS handle, autograd leaf, requiresGrad)
// and takes src's storage, device and dtype (Module.to).
OP(setData) {
  auto& t = T(0);
  t.set_data(T(1));
  return info.Env().Undefined();
}
OP(toBuffer) {
  auto t = T(0).detach().to(at::kCPU).contiguous();
  auto ab = Napi::ArrayBuffer::New(info.Env(), t.numel() * t.element_size());
  if (t.numel()) std::memcpy(ab.Data(), t.data_ptr(), ab.ByteLength());
  return ab;
}
OP(zeros) { R(at::zeros(intsArg(info, 0), optionsArg(info, 1, 2))); }
OP(ones) { R(at::ones(intsArg(info, 0), optionsArg(info, 1, 2))); }
OP(full) { R(at::full(intsArg(info, 0), scalarArg(info, 1), optionsArg(info, 2, 3))); }
OP(arange) { R(at::arange(scalarArg(info, 0), scalarArg(info, 1), scalarArg(info, 2), optionsArg(info, 3, 4))); }
OP(eye) { R(at::eye(intArg(info, 0), optionsArg(info, 1, 2))); }
OP(rand) { R(at::rand(intsArg(info, 0), optionsArg(info, 1, 2))); }
OP(randn) { R(at::randn(intsArg(info, 0), optionsArg(info, 1, 2))); }
OP(randint) { R(at::randint(intArg(info, 0), intArg(info, 1), intsArg(info, 2), optionsArg(info, 3, 4))); }
OP(randperm) { R(at::randperm(intArg(info, 0), optionsArg(info, 1, 2))); }
OP(multinomial) { R(at::multinomial(T(0), intArg(info, 1), boolArg(info, 2))); }
OP(bernoulli) { R(at::bernoulli(T(0))); }
OP(standardGamma) { R(at::_standard_gamma(T(0))); }
OP(uniform_) { RI(T(0).uniform_(numArg(info, 1), numArg(info, 2))); }
OP(normal_) { RI(T(0).normal_(numArg(info, 1), numArg(info, 2))); }

// ---------------------------------------------------------------- conversion, shape

OP(to) { R(T(0).to(dtypeArg(info, 1))); }
OP(toDevice) { R(T(0).to(deviceArg(info, 1))); }
OP(clone) { R(T(0).clone()); }
OP(contiguous) { R(T(0).contiguous()); }
OP(reshape) { R(T(0).reshape(intsArg(info, 1))); }
OP(view) { R(T(0).view(intsArg(info, 1))); }
OP(permute) { R(T(0).permute(intsArg(info, 1))); }
OP(transpose) { R(T(0).transpose(intArg(info, 1), intArg(info, 2))); }
OP(flatten) { R(T(0).flatten(intArg(info, 1), intArg(info, 2))); }
OP(expand) { R(T(0).expand(intsArg(info, 1))); }
OP(squeeze) {
  auto d = optIntArg(info, 1);
  R(d ? T(0).squeeze(*d) : T(0).squeeze());
}
OP(unsqueeze) { R(T(0).unsqueeze(intArg(info, 1))); }
OP(narrow) { R(T(0).narrow(intArg(info, 1), intArg(info, 2), intArg(info, 3))); }
OP(slice) { R(T(0).slice(intArg(info, 1), optIntArg(info, 2), optIntArg(info, 3), intArg(info, 4))); }
OP(select) { R(T(0).select(intArg(info, 1), intArg(info, 2))); }
OP(indexSelect) { R(T(0).index_select(intArg(info, 1), T(2))); }
OP(gather) { R(T(0).gather(intArg(info, 1), T(2))); }
OP(scatter) { R(T(0).scatter(intArg(info, 1), T(2), T(3))); }
OP(cat) { R(at::cat(tensorsArg(info, 0), intArg(info, 1))); }
OP(stack) { R(at::stack(tensorsArg(info, 0), intArg(info, 1))); }
OP(split) { RL(T(0).split(intArg(info, 1), intArg(info, 2))); }
OP(splitSizes) { RL(T(0).split_with_sizes(intsArg(info, 1), intArg(info, 2))); }
OP(chunk) { RL(T(0).chunk(intArg(info, 1), intArg(info, 2))); }
OP(pad) { R(at::pad(T(0), intsArg(info, 1), strArg(info, 2), optNumArg(info, 3))); }
OP(tril) { R(T(0).tril(intArg(info, 1))); }
OP(triu) { R(T(0).triu(intArg(info, 1))); }
OP(flip) { R(T(0).flip(intsArg(info, 1))); }
OP(roll) { R(T(0).roll(intsArg(info, 1), intsArg(info, 2))); }

// ---------------------------------------------------------------- arithmetic

// Binary ops take a tensor or a JS number as the second operand.
static at::Scalar operandScalar(const CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !(info[i].IsNumber() || info[i].IsBoolean()))
    throw ArgError("argument " + std::to_string(i) + ": expected a Tensor or a number");
  return scalarArg(info, i);
}
#define BINARY(NAME, FN)                                         \
  OP(NAME) {                                                     \
    if (isTensor(info[1])) R(at::FN(T(0), T(1)));                \
    R(at::FN(T(0), operandScalar(info, 1)));                     \
  }
BINARY(add, add)
BINARY(sub, sub)
BINARY(mul, mul)
BINARY(div, div)
BINARY(pow, pow)
BINARY(remainder, remainder)
BINARY(eq, eq)
BINARY(ne, ne)
BINARY(lt, lt)
BINARY(le, le)
BINARY(gt, gt)
BINARY(ge, ge)
OP(rsub) { R(at::rsub(T(0), scalarArg(info, 1))); }
OP(scalarPow) { R(at::pow(scalarArg(info, 0), T(1))); }
OP(maximum) { R(at::maximum(T(0), T(1))); }
OP(minimum) { R(at::minimum(T(0), T(1))); }
OP(logicalAnd) { R(at::logical_and(T(0), T(1))); }
OP(logicalOr) { R(at::logical_or(T(0), T(1))); }
OP(logicalNot) { R(at::logical_not(T(0))); }
// The Scalar overload keeps integer dtypes (a float32 scalar_tensor promoted int64 to float32).
OP(floorDivide) {
  if (isTensor(info[1])) R(at::div(T(0), T(1), "floor"));
  R(at::div(T(0), operandScalar(info, 1), "floor"));
}

#define UNARY(NAME, FN) \
  OP(NAME) { R(at::FN(T(0))); }
UNARY(neg, neg)
UNARY(abs, abs)
UNARY(sign, sign)
UNARY(exp, exp)
UNARY(log, log)
UNARY(log1p, log1p)
UNARY(expm1, expm1)
UNARY(sqrt, sqrt)
UNARY(rsqrt, rsqrt)
UNARY(reciprocal, reciprocal)
UNARY(sin, sin)
UNARY(cos, cos)
UNARY(floor, floor)
UNARY(ceil, ceil)
UNARY(round, round)
UNARY(isnan, isnan)
UNARY(isfinite, isfinite)
UNARY(relu, relu)
UNARY(sigmoid, sigmoid)
UNARY(tanh, tanh)
UNARY(silu, silu)
UNARY(hardswish, hardswish)
UNARY(hardsigmoid, hardsigmoid)
UNARY(lgamma, lgamma)
UNARY(digamma, digamma)

OP(clamp) { R(at::clamp(T(0), optScalarArg(info, 1), optScalarArg(info, 2))); }
OP(where) { R(at::where(T(0), T(1), T(2))); }
OP(maskedFill) { R(T(0).masked_fill(T(1), scalarArg(info, 2))); }
OP(outer) { R(at::outer(T(0), T(1))); }
OP(oneHot) { R(at::one_hot(T(0), intArg(info, 1))); }

// ---------------------------------------------------------------- in place (optimizers, init)

OP(add_) {
  if (isTensor(info[1])) RI(T(0).add_(T(1), scalarArg(info, 2)));
  RI(T(0).add_(scalarArg(info, 1)));
}
OP(mul_) {
  if (isTensor(info[1])) RI(T(0).mul_(T(1)));
  RI(T(0).mul_(scalarArg(info, 1)));
}
OP(div_) {
  if (isTensor(info[1])) RI(T(0).div_(T(1)));
  RI(T(0).div_(scalarArg(info, 1)));
}
OP(addcmul_) { RI(T(0).addcmul_(T(1), T(2), scalarArg(info, 3))); }
OP(addcdiv_) { RI(T(0).addcdiv_(T(1), T(2), scalarArg(info, 3))); }
OP(lerp_) { RI(T(0).lerp_(T(1), scalarArg(info, 2))); }
OP(copy_) { RI(T(0).copy_(T(1))); }
OP(zero_) { RI(T(0).zero_()); }
OP(fill_) { RI(T(0).fill_(scalarArg(info, 1))); }
OP(clamp_) { RI(T(0).clamp_(optScalarArg(info, 1), optScalarArg(info, 2))); }

// ---------------------------------------------------------------- reductions

// An empty dim list means every dim; spelt out so that keepdim still applies.
static std::vector<int64_t> reduceDims(const at::Tensor& t, std::vector<int64_t> dims) {
  if (dims.empty())
    for (int64_t d = 0; d < t.dim(); ++d) dims.push_back(d);
  return dims;
}
OP(sum) {
  auto dims = intsArg(info, 1);
  if (dims.empty() && !boolArg(info, 2)) R(T(0).sum());
  R(T(0).sum(reduceDims(T(0), dims), boolArg(info, 2)));
}
OP(mean) {
  auto dims = intsArg(info, 1);
  if (dims.empty() && !boolArg(info, 2)) R(T(0).mean());
  R(T(0).mean(reduceDims(T(0), dims), boolArg(info, 2)));
}
OP(prod) { R(T(0).prod()); }
OP(varDims) {
  auto dims = intsArg(info, 1);
  if (dims.empty() && !boolArg(info, 3)) R(T(0).var(boolArg(info, 2)));
  R(T(0).var(at::IntArrayRef(reduceDims(T(0), dims)), boolArg(info, 2), boolArg(info, 3)));
}
OP(norm) {
  auto dims = intsArg(info, 2);
  R(at::linalg_vector_norm(T(0), scalarArg(info, 1), dims.empty() ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dims),
                           boolArg(info, 3)));
}
OP(maxAll) { R(T(0).max()); }
OP(minAll) { R(T(0).min()); }
OP(maxDim) { return pair(info.Env(), T(0).max(intArg(info, 1), boolArg(info, 2))); }
OP(minDim) { return pair(info.Env(), T(0).min(intArg(info, 1), boolArg(info, 2))); }
OP(argmax) { R(T(0).argmax(optIntArg(info, 1), boolArg(info, 2))); }
OP(argmin) { R(T(0).argmin(optIntArg(info, 1), boolArg(info, 2))); }
OP(logsumexp) { R(T(0).logsumexp(intsArg(info, 1), boolArg(info, 2))); }
OP(cumsum) { R(T(0).cumsum(intArg(info, 1))); }
OP(sort) { return pair(info.Env(), T(0).sort(intArg(info, 1), boolArg(info, 2))); }
OP(topk) { return pair(info.Env(), T(0).topk(intArg(info, 1), intArg(info, 2), boolArg(info, 3), true)); }
OP(std) { R(T(0).std(boolArg(info, 1))); }
OP(all) { R(T(0).all()); }
OP(any) { R(T(0).any()); }

// ---------------------------------------------------------------- linear algebra

OP(matmul) { R(at::matmul(T(0), T(1))); }
OP(mm) { R(at::mm(T(0), T(1))); }
OP(bmm) { R(at::bmm(T(0), T(1))); }
OP(linear) { R(at::linear(T(0), T(1), optTensorArg(info, 2))); }

// ---------------------------------------------------------------- nn

OP(conv2d) {
  R(at::conv2d(T(0), T(1), optTensorArg(info, 2), intsArg(info, 3), intsArg(info, 4), intsArg(info, 5), intArg(info, 6)));
}
OP(maxPool2d) {
  R(at::max_pool2d(T(0), intsArg(info, 1), intsArg(info, 2), intsArg(info, 3), intsArg(info, 4), boolArg(info, 5)));
}
OP(avgPool2d) {
  R(at::avg_pool2d(T(0), intsArg(info, 1), intsArg(info, 2), intsArg(info, 3), boolArg(info, 4), boolArg(info, 5)));
}
OP(adaptiveAvgPool2d) { R(at::adaptive_avg_pool2d(T(0), intsArg(info, 1))); }
OP(batchNorm) {
  // (x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
  R(at::batch_norm(T(0), optTensorArg(info, 1), optTensorArg(info, 2), optTensorArg(info, 3), optTensorArg(info, 4),
                   boolArg(info, 5), numArg(info, 6), numArg(info, 7), true));
}
OP(layerNorm) { R(at::layer_norm(T(0), intsArg(info, 1), optTensorArg(info, 2), optTensorArg(info, 3), numArg(info, 4), true)); }
OP(dropout) { R(at::dropout(T(0), numArg(info, 1), boolArg(info, 2))); }
OP(dropout2d) { R(at::feature_dropout(T(0), numArg(info, 1), boolArg(info, 2))); }
OP(gelu) { R(at::gelu(T(0), strArg(info, 1))); }
OP(elu) { R(at::elu(T(0), scalarArg(info, 1))); }
OP(softplus) { R(at::softplus(T(0), scalarArg(info, 1), scalarArg(info, 2))); }
OP(leakyRelu) { R(at::leaky_relu(T(0), scalarArg(info, 1))); }
OP(softmax) { R(at::softmax(T(0), intArg(info, 1))); }
OP(logSoftmax) { R(at::log_softmax(T(0), intArg(info, 1))); }
static int64_t reduction(const std::string& r) {
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw ArgError("unknown reduction '" + r + "' (use mean, sum or none)");
}
OP(crossEntropy) {
  // (logits, target, labelSmoothing, reduction, ignoreIndex)
  R(at::cross_entropy_loss(T(0), T(1), c10::nullopt, reduction(strArg(info, 3)), intArg(info, 4), numArg(info, 2)));
}
OP(mseLoss) { R(at::mse_loss(T(0), T(1), reduction(strArg(info, 2)))); }
OP(embedding) { R(at::embedding(T(0), T(1))); }

// ---------------------------------------------------------------- autograd

OP(requiresGrad_) { RI(T(0).requires_grad_(boolArg(info, 1))); }
OP(requiresGrad) { return BOOL(T(0).requires_grad()); }
OP(isLeaf) { return BOOL(T(0).is_leaf()); }
OP(gradFn) {
  auto fn = T(0).grad_fn();
  return fn ? Napi::String::New(info.Env(), fn->name()) : info.Env().Null();
}
OP(grad) {
  auto g = T(0).grad();
  return g.defined() ? wrap(info.Env(), g) : info.Env().Null();
}
OP(setGrad) {
  auto g = optTensorArg(info, 1);
  // As PyTorch's .grad setter: a mismatched gradient would only fail (or
  // broadcast) at the next accumulation, far from the assignment.
  if (g && (g->sizes() != T(0).sizes() || g->scalar_type() != T(0).scalar_type() || g->device() != T(0).device())) {
    std::ostringstream os;
    os << "assigned grad " << g->sizes() << " " << dtypeName(g->scalar_type()) << " on " << g->device() << " does not match the tensor "
       << T(0).sizes() << " " << dtypeName(T(0).scalar_type()) << " on " << T(0).device();
    throw ArgError(os.str());
  }
  T(0).mutable_grad() = g ? *g : at::Tensor();
  return info.Env().Undefined();
}
OP(detach) { R(T(0).detach()); }
OP(backward) {
  // (t, gradient?, retainGraph, createGraph)
  auto g = optTensorArg(info, 1);
  // Tensor::backward does not validate the seed gradient: a wrong shape was
  // silently broadcast through the graph into wrong .grad values.
  if (g && g->sizes() != T(0).sizes()) {
    std::ostringstream os;
    os << "gradient has shape " << g->sizes() << " but the output has shape " << T(0).sizes();
    throw ArgError(os.str());
  }
  T(0).backward(g ? *g : at::Tensor(), boolArg(info, 2), boolArg(info, 3));
  return info.Env().Undefined();
}
OP(autogradGrad) {
  // (outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph, allowUnused)
  auto outs = tensorsArg(info, 0);
  auto ins = tensorsArg(info, 1);
  std::vector<at::Tensor> gouts;
  if (!info[2].IsNull() && !info[2].IsUndefined()) gouts = tensorsArg(info, 2);
  auto grads = torch::autograd::grad(outs, ins, gouts, boolArg(info, 3), boolArg(info, 4), boolArg(info, 5));
  auto arr = Napi::Array::New(info.Env(), grads.size());
  for (size_t i = 0; i < grads.size(); ++i) arr.Set(i, grads[i].defined() ? wrap(info.Env(), grads[i]) : info.Env().Null());
  return arr;
}
OP(setGradEnabled) {
  at::GradMode::set_enabled(boolArg(info, 0));
  return info.Env().Undefined();
}
OP(isGradEnabled) { return BOOL(at::GradMode::is_enabled()); }

// ---------------------------------------------------------------- runtime

OP(manualSeed) {
  torch::manual_seed(static_cast<uint64_t>(intArg(info, 0)));
  return info.Env().Undefined();
}
// (device?): the default generator of that device (CPU when none is given).
static at::Generator generatorArg(const CallbackInfo& info, size_t i) {
  auto dev = deviceArg(info, i);
  return dev.is_cpu() ? at::detail::getDefaultCPUGenerator() : at::globalContext().defaultGenerator(dev);
}
OP(getRngState) {
  auto gen = generatorArg(info, 0);
  std::lock_guard<std::mutex> lock(gen.mutex());
  R(gen.get_state());
}
OP(setRngState) {
  auto gen = generatorArg(info, 1);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(0));
  return info.Env().Undefined();
}
OP(liveTensors) { return NUM(liveTensors()); }
OP(getNumThreads) { return NUM(at::get_num_threads()); }
OP(setNumThreads) {
  at::set_num_threads(static_cast<int>(intArg(info, 0)));
  return info.Env().Undefined();
}
OP(cudaIsAvailable) { return BOOL(torch::cuda::is_available()); }
OP(cudaDeviceCount) { return NUM(torch::cuda::device_count()); }
// (index?) -> [used, total] bytes of that CUDA device (cudaMemGetInfo: what nvidia-smi
// shows, context and the caching allocator's reserve included), or null where no
// CUDA runtime is loaded. Looked up at run time, so the addon needs no CUDA headers.
static int findCudart(struct dl_phdr_info* lib, size_t, void* out) {
  if (lib->dlpi_name && std::strstr(lib->dlpi_name, "libcudart")) {
    *static_cast<std::string*>(out) = lib->dlpi_name;
    return 1;
  }
  return 0;
}
OP(cudaMemInfo) {
  using MemGetInfo = int (*)(size_t*, size_t*);
  static MemGetInfo fn = nullptr;
  static bool looked = false;
  if (!looked) {
    looked = true;
    std::string path;
    dl_iterate_phdr(findCudart, &path);
    void* h = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!h) h = dlopen(nullptr, RTLD_LAZY); // cudart linked statically into libtorch_cuda
    if (h) fn = reinterpret_cast<MemGetInfo>(dlsym(h, "cudaMemGetInfo"));
  }
  size_t freeBytes = 0, total = 0;
  if (!fn || !torch::cuda::is_available()) return info.Env().Null();
  // (device index): cudaMemGetInfo reports the current device; make it the run's for the call.
  int64_t index = info.Length() > 0 && info[0].IsNumber() ? intArg(info, 0) : 0;
  c10::DeviceGuard guard(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index)));
  if (fn(&freeBytes, &total) != 0) return info.Env().Null();
  auto arr = Napi::Array::New(info.Env(), 2);
  arr.Set(0u, NUM(total - freeBytes));
  arr.Set(1u, NUM(total));
  return arr;
}
// ---------------------------------------------------------------- precision

// libtorch 2.4 replaced the per-device autocast functions with ones that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TN_AUTOCAST_BY_TYPE 1
#endif
static c10::DeviceType autocastType(const CallbackInfo& info, size_t i) {
  std::string d = strArg(info, i);
  if (d == "cpu") return c10::DeviceType::CPU;
  if (d == "cuda") return c10::DeviceType::CUDA;
  throw ArgError("argument " + std::to_string(i) + ": autocast device type must be 'cpu' or 'cuda', got '" + d + "'");
}
// (deviceType, enabled, dtype 'bfloat16' | 'float16') -> whether it was enabled. Turning it
// off clears the cache of casted weights (they change with every optimizer step).
OP(autocast) {
  auto type = autocastType(info, 0);
  bool on = boolArg(info, 1);
  std::string d = strArg(info, 2);
  if (d != "bfloat16" && d != "float16") throw ArgError("argument 2: autocast dtype must be 'bfloat16' or 'float16', got '" + d + "'");
  auto dtype = d == "bfloat16" ? at::kBFloat16 : at::kHalf;
  bool cuda = type == c10::DeviceType::CUDA;
#ifdef TN_AUTOCAST_BY_TYPE
  bool was = at::autocast::is_autocast_enabled(type);
  at::autocast::set_autocast_dtype(type, dtype);
  at::autocast::set_autocast_enabled(type, on);
#else
  bool was = cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(on);
  }
#endif
  (void)cuda;
  if (!on) at::autocast::clear_cache();
  return BOOL(was);
}
// TF32 for float32 matmuls (cuBLAS) and convolutions (cuDNN); PyTorch's defaults are off and on.
// The setters are looked up at compile time, so a libtorch without one of them still builds.
// NAME(context, on, 0): calls context.METHOD(on) and returns true, or returns false where the class has no METHOD.
#define TN_OPTIONAL_SETTER(NAME, METHOD)                                                \
  template <class C>                                                                  \
  static auto NAME(C& c, bool on, int)->decltype(c.METHOD(on), bool()) {              \
    c.METHOD(on);                                                                     \
    return true;                                                                      \
  }                                                                                   \
  template <class C>                                                                  \
  static bool NAME(C&, bool, long) {                                                  \
    return false;                                                                     \
  }
TN_OPTIONAL_SETTER(tf32Cublas, setAllowTF32CuBLAS)
TN_OPTIONAL_SETTER(tf32Cudnn, setAllowTF32CuDNN)
// (on) -> whether this libtorch had both switches (false: the setting could not be applied).
OP(setTf32) {
  bool on = boolArg(info, 0);
  bool a = tf32Cublas(at::globalContext(), on, 0);
  bool b = tf32Cudnn(at::globalContext(), on, 0);
  return BOOL(a && b);
}
OP(parallelInfo) { return Napi::String::New(info.Env(), at::get_parallel_info()); }
OP(configInfo) { return Napi::String::New(info.Env(), at::show_config()); }

// ---------------------------------------------------------------- fused ops with their own backward

// Mixture of multi-head causal attentions with strided heads (head i of h: features
// i, i+h, ...), sum_i w_i attn_{h_i}(q, k, v; s_i) over head counts h_i, on
// q, k, v [B, T, F]. Used by the GPT supernet (several head counts) and the
// standalone GPT (one). It keeps only q, k, v for backward and recomputes the
// attention probabilities there, so no [B, h, T, T] tensor outlives the call
// (libtorch 1.13 has no fused attention on CPU). Not twice differentiable.
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// [B, T, F] -> [B, h, T, F/h], head i = features i, i+h, ... (a view).
at::Tensor splitHeads(const at::Tensor& z, int64_t h) {
  return z.reshape({z.size(0), z.size(1), z.size(2) / h, h}).permute({0, 3, 1, 2});
}
// [B, h, T, d] -> [B, T, d*h], the inverse of splitHeads.
at::Tensor mergeHeads(const at::Tensor& o) {
  return o.permute({0, 2, 3, 1}).reshape({o.size(0), o.size(2), -1});
}
// Softmax of s * raw with the future masked out.
at::Tensor attnProbs(const at::Tensor& raw, double s, const at::Tensor& mask) {
  auto scaled = raw.mul(s);
  if (mask.defined()) scaled.masked_fill_(mask, -std::numeric_limits<double>::infinity());
  return at::softmax(scaled, -1);
}
at::Tensor futureMask(const at::Tensor& q, bool causal) {
  auto t = q.size(1);
  return causal ? at::ones({t, t}, q.options().dtype(at::kBool)).triu(1) : at::Tensor();
}

struct AttentionMix : public torch::autograd::Function<AttentionMix> {
  static at::Tensor forward(AutogradContext* ctx, at::Tensor q, at::Tensor k, at::Tensor v, at::Tensor scales, at::Tensor weights,
                            std::vector<int64_t> heads, bool causal) {
    ctx->save_for_backward({q, k, v, scales, weights});
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["causal"] = causal;
    auto mask = futureMask(q, causal);
    at::Tensor out;
    for (size_t i = 0; i < heads.size(); ++i) {
      auto h = heads[i];
      auto p = attnProbs(at::matmul(splitHeads(q, h), splitHeads(k, h).transpose(-2, -1)), scales[i].item<double>(), mask);
      auto o = mergeHeads(at::matmul(p, splitHeads(v, h))).mul_(weights[i]);
      out = out.defined() ? out.add_(o) : o;
    }
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (at::GradMode::is_enabled()) throw std::runtime_error("attentionMix: double backward is not supported");
    auto saved = ctx->get_saved_variables();
    auto &q = saved[0], &k = saved[1], &v = saved[2], &scales = saved[3], &weights = saved[4];
    auto heads = ctx->saved_data["heads"].toIntVector();
    auto mask = futureMask(q, ctx->saved_data["causal"].toBool());
    auto g = grads[0];
    auto dq = at::zeros_like(q), dk = at::zeros_like(k), dv = at::zeros_like(v);
    auto dscales = at::zeros_like(scales), dweights = at::zeros_like(weights);
    bool wantScales = ctx->needs_input_grad(3), wantWeights = ctx->needs_input_grad(4);
    for (size_t i = 0; i < heads.size(); ++i) {
      auto h = heads[i];
      double s = scales[i].item<double>(), w = weights[i].item<double>();
      auto qh = splitHeads(q, h), kh = splitHeads(k, h), vh = splitHeads(v, h), gh = splitHeads(g, h);
      auto raw = at::matmul(qh, kh.transpose(-2, -1));
      auto p = attnProbs(raw, s, mask);
      dv.add_(mergeHeads(at::matmul(p.transpose(-2, -1), gh)).mul_(w));
      // d = g v^T is dL/dp for weight 1; sum(p d) over a row is that row's share of dL/dw_i.
      auto d = at::matmul(gh, vh.transpose(-2, -1));
      auto r = d.mul(p).sum(-1, true);
      if (wantWeights) dweights[i].copy_(r.sum());
      auto ds = d.sub_(r).mul_(p).mul_(w);  // dL/d(scores), scores = s * raw
      if (wantScales) dscales[i].copy_(ds.mul(raw).sum());
      dq.add_(mergeHeads(at::matmul(ds, kh)).mul_(s));
      dk.add_(mergeHeads(at::matmul(ds.transpose(-2, -1), qh)).mul_(s));
    }
    return {dq, dk, dv, dscales, dweights, at::Tensor(), at::Tensor()};
  }
};
}  // namespace

OP(attentionMix) {
  // (q, k, v [B, T, F], heads[], scales [n], weights [n], causal)
  auto heads = intsArg(info, 3);
  auto& q = T(0);
  if (q.dim() != 3 || T(1).sizes() != q.sizes() || T(2).sizes() != q.sizes()) throw ArgError("attentionMix: q, k and v must be [B, T, F] of one shape");
  for (auto h : heads)
    if (h < 1 || q.size(2) % h != 0) throw ArgError("attentionMix: " + std::to_string(q.size(2)) + " features are not divisible by " + std::to_string(h) + " heads");
  auto n = static_cast<int64_t>(heads.size());
  if (n < 1 || T(4).numel() != n || T(5).numel() != n) throw ArgError("attentionMix: scales and weights need one entry per head count");
  R(AttentionMix::apply(q, T(1), T(2), T(4).reshape({n}), T(5).reshape({n}), heads, boolArg(info, 6)));
}

// sum_e w_e pad(LayerNorm(x[..., :e]; gamma[:e], beta[:e])) over the widths e (the
// largest is x's last dim), in one pass: with mu_e, r_e the mean and inverse std of
// the prefix x[..., :e], feature j is gamma_j (x_j a_j - b_j) + beta_j m_j, where
// a, b, m sum w_e r_e, w_e mu_e r_e, w_e over the widths e > j (constant on each
// band between consecutive widths). Keeps x and the per-width statistics for
// backward, like at::layer_norm, instead of an intermediate of x's size. Not twice
// differentiable.
namespace {
struct LayerNormMix : public torch::autograd::Function<LayerNormMix> {
  // widths sorted ascending, weights in the same order; x viewed as rows [R, E].
  static at::Tensor forward(AutogradContext* ctx, at::Tensor x, at::Tensor weights, at::Tensor gamma, at::Tensor beta,
                            std::vector<int64_t> widths, double eps) {
    auto E = x.size(-1);
    auto x2 = x.reshape({-1, E});
    std::vector<at::Tensor> mus, rs;
    for (auto e : widths) {
      auto xe = x2.narrow(1, 0, e);
      auto var_mean = at::var_mean(xe, {1}, /*unbiased=*/false, /*keepdim=*/true);
      mus.push_back(std::get<1>(var_mean));
      rs.push_back(std::get<0>(var_mean).add(eps).rsqrt());
    }
    auto mu = at::cat(mus, 1), r = at::cat(rs, 1);  // [R, n]
    ctx->save_for_backward({x, weights, gamma, beta, mu, r});
    ctx->saved_data["widths"] = widths;
    auto z = bandNormalized(x2, weights, mu, r, widths);
    return z.mul_(gamma).add_(beta.mul(bandMass(weights, widths, E))).reshape(x.sizes());
  }

  // z = x a - b, band by band.
  static at::Tensor bandNormalized(const at::Tensor& x2, const at::Tensor& w, const at::Tensor& mu, const at::Tensor& r, const std::vector<int64_t>& widths) {
    auto z = at::empty_like(x2);
    auto wr = r.mul(w), wmr = mu.mul(r).mul_(w);  // [R, n]
    at::Tensor a, b;
    for (int64_t k = static_cast<int64_t>(widths.size()) - 1; k >= 0; --k) {
      a = a.defined() ? a.add(wr.narrow(1, k, 1)) : wr.narrow(1, k, 1);
      b = b.defined() ? b.add(wmr.narrow(1, k, 1)) : wmr.narrow(1, k, 1);
      auto lo = k > 0 ? widths[k - 1] : 0;
      auto band = z.narrow(1, lo, widths[k] - lo);
      at::mul_out(band, x2.narrow(1, lo, widths[k] - lo), a);
      band.sub_(b);
    }
    return z;
  }

  // m_j = sum of w_e over the widths e > j, [E].
  static at::Tensor bandMass(const at::Tensor& w, const std::vector<int64_t>& widths, int64_t E) {
    auto m = at::zeros({E}, w.options());
    for (size_t k = 0; k < widths.size(); ++k) m.narrow(0, 0, widths[k]).add_(w[k]);
    return m;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (at::GradMode::is_enabled()) throw std::runtime_error("layerNormMix: double backward is not supported");
    auto saved = ctx->get_saved_variables();
    auto &x = saved[0], &w = saved[1], &gamma = saved[2], &beta = saved[3], &mu = saved[4], &r = saved[5];
    auto widths = ctx->saved_data["widths"].toIntVector();
    auto E = x.size(-1);
    auto x2 = x.reshape({-1, E});
    auto g2 = grads[0].reshape({-1, E});
    auto dgamma = g2.mul(bandNormalized(x2, w, mu, r, widths)).sum(0);
    auto gsum = g2.sum(0);  // [E]
    auto dbeta = gsum.mul(bandMass(w, widths, E));
    auto dz = g2.mul(gamma);
    auto dx = at::zeros_like(x2);
    auto dw = at::zeros_like(w);
    for (size_t l = 0; l < widths.size(); ++l) {
      auto e = widths[l];
      auto rl = r.narrow(1, l, 1), ml = mu.narrow(1, l, 1);
      auto xhat = x2.narrow(1, 0, e).sub(ml).mul_(rl);
      auto dzl = dz.narrow(1, 0, e);
      auto s1 = dzl.mean(1, true), s2 = dzl.mul(xhat).mean(1, true);
      // The LayerNorm backward of width e for the upstream gradient w_e dz[:, :e].
      dx.narrow(1, 0, e).add_(dzl.sub(s1).sub_(xhat.mul_(s2)).mul_(rl).mul_(w[l]));
      dw[l].copy_(s2.sum().mul(static_cast<double>(e)).add(gsum.narrow(0, 0, e).dot(beta.narrow(0, 0, e))));
    }
    return {dx.reshape(x.sizes()), dw, dgamma, dbeta, at::Tensor(), at::Tensor()};
  }
};
}  // namespace

OP(layerNormMix) {
  // (x [..., E], widths[] ascending with max E, weights [n], gamma [E], beta [E], eps)
  auto widths = intsArg(info, 1);
  auto& x = T(0);
  auto n = static_cast<int64_t>(widths.size());
  if (n < 1 || x.dim() < 1) throw ArgError("layerNormMix: needs an input [..., E] and at least one width");
  for (int64_t k = 0; k < n; ++k)
    if (widths[k] < 1 || (k > 0 && widths[k] <= widths[k - 1])) throw ArgError("layerNormMix: widths must be positive and strictly increasing");
  if (widths[n - 1] != x.size(-1)) throw ArgError("layerNormMix: the largest width must be the input's last dim " + std::to_string(x.size(-1)));
  if (T(2).numel() != n) throw ArgError("layerNormMix: weights need one entry per width");
  if (T(3).numel() != x.size(-1) || T(4).numel() != x.size(-1)) throw ArgError("layerNormMix: gamma and beta need the input's last dim");
  R(LayerNormMix::apply(x, T(2).reshape({n}), T(3), T(4), widths, numArg(info, 5)));
}
