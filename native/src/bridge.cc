#include "bridge.h"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <sstream>

// Exported by libc10 1.13 but not declared in its installed headers.
namespace c10 {
C10_API void SetStackTraceFetcher(std::function<std::string()> fetcher);
}

namespace tn {

std::vector<OpDef>& registry() {
  static std::vector<OpDef> ops;
  return ops;
}

static int64_t ownedBytes(const at::Tensor& t) {
  // Views share their base's storage: count only tensors that own it.
  if (!t.defined() || t.is_view() || !t.has_storage()) return 0;
  return static_cast<int64_t>(t.storage().nbytes());
}

static int64_t live = 0;  // handles holding a tensor; only the JS thread touches it
int64_t liveTensors() { return live; }

Napi::Value wrap(Napi::Env env, at::Tensor t) {
  auto* h = new Holder{std::move(t), 0};
  if (h->t.defined()) ++live;
  h->reported = ownedBytes(h->t);
  if (h->reported) Napi::MemoryManagement::AdjustExternalMemory(env, h->reported);
  // A basic (BasicEnv) finalizer runs inside GC. A Napi::Env finalizer was
  // deferred to setImmediate, so a synchronous training loop piled up every
  // collected handle until it yielded (~1.5 KB per step). Needs NAPI_EXPERIMENTAL
  // (binding.gyp): Node runs finalizers from GC only for that module version.
  return Napi::External<Holder>::New(env, h, [](Napi::BasicEnv env, Holder* h) {
    release(env, h);
    delete h;
  });
}

void release(Napi::BasicEnv env, Holder* h) {
  if (h->reported) Napi::MemoryManagement::AdjustExternalMemory(env, -h->reported);
  h->reported = 0;
  if (h->t.defined()) --live;
  h->t = at::Tensor();
}

Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  auto arr = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) arr.Set(i, wrap(env, ts[i]));
  return arr;
}

static std::string where(size_t i) { return "argument " + std::to_string(i); }

bool isTensor(const Napi::Value& v) { return v.IsExternal(); }

at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsExternal()) throw ArgError(where(i) + ": expected a Tensor");
  auto* h = info[i].As<Napi::External<Holder>>().Data();
  if (!h->t.defined()) throw ArgError(where(i) + ": tensor was disposed (keep it out of the scope that freed it, or clone it)");
  return h->t;
}

c10::optional<at::Tensor> optTensorArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return tensorArg(info, i);
}

std::vector<at::Tensor> tensorsArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throw ArgError(where(i) + ": expected an array of Tensors");
  auto arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    if (!v.IsExternal()) throw ArgError(where(i) + "[" + std::to_string(k) + "]: expected a Tensor");
    auto* h = v.As<Napi::External<Holder>>().Data();
    if (!h->t.defined()) throw ArgError(where(i) + "[" + std::to_string(k) + "]: tensor was disposed");
    out.push_back(h->t);
  }
  return out;
}

double numArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) throw ArgError(where(i) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> optNumArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return numArg(info, i);
}

// Range check first: casting NaN, +-inf or |d| >= 2^63 to int64 is undefined behaviour.
static bool isInt64(double d) { return std::isfinite(d) && std::fabs(d) < 9.2e18 && d == std::trunc(d); }

int64_t intArg(const Napi::CallbackInfo& info, size_t i) {
  double d = numArg(info, i);
  if (!isInt64(d)) throw ArgError(where(i) + ": expected an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

c10::optional<int64_t> optIntArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return intArg(info, i);
}

bool boolArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsBoolean()) throw ArgError(where(i) + ": expected a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throw ArgError(where(i) + ": expected an array of integers");
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) throw ArgError(where(i) + "[" + std::to_string(k) + "]: expected an integer");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!isInt64(d)) throw ArgError(where(i) + "[" + std::to_string(k) + "]: expected an integer, got " + std::to_string(d));
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

std::string strArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsString()) throw ArgError(where(i) + ": expected a string");
  return info[i].As<Napi::String>().Utf8Value();
}

at::Scalar scalarArg(const Napi::CallbackInfo& info, size_t i) {
  if (i < info.Length() && info[i].IsBoolean()) return at::Scalar(info[i].As<Napi::Boolean>().Value());
  double d = numArg(info, i);
  // Integral JS numbers stay integral so int tensors keep their dtype.
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

c10::optional<at::Scalar> optScalarArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return scalarArg(info, i);
}

at::ScalarType dtypeArg(const Napi::CallbackInfo& info, size_t i) {
  std::string s = strArg(info, i);
  if (s == "float32") return at::kFloat;
  if (s == "float64") return at::kDouble;
  if (s == "int64") return at::kLong;
  if (s == "int32") return at::kInt;
  if (s == "uint8") return at::kByte;
  if (s == "bool") return at::kBool;
  if (s == "float16") return at::kHalf;
  throw ArgError(where(i) + ": unknown dtype '" + s + "' (use float32, float64, int64, int32, uint8, bool or float16)");
}

const char* dtypeName(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    case at::kHalf: return "float16";
    default: return c10::toString(s);
  }
}

at::Device deviceArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return at::Device(at::kCPU);
  std::string s = strArg(info, i);
  try {
    return at::Device(s);
  } catch (const c10::Error&) {
    throw ArgError(where(i) + ": unknown device '" + s + "' (use 'cpu' or 'cuda:N')");
  }
}

at::TensorOptions optionsArg(const Napi::CallbackInfo& info, size_t dtypeIdx, size_t deviceIdx) {
  return at::TensorOptions().dtype(dtypeArg(info, dtypeIdx)).device(deviceArg(info, deviceIdx));
}

// Describes the tensor arguments of a failed call: "[64,3,32,32] float32, ...".
static std::string describeArgs(const Napi::CallbackInfo& info) {
  std::ostringstream os;
  bool first = true;
  auto one = [&](const Napi::Value& v) {
    if (!v.IsExternal()) return;
    auto* h = v.As<Napi::External<Holder>>().Data();
    if (!first) os << ", ";
    first = false;
    if (!h->t.defined()) {
      os << "<disposed>";
      return;
    }
    os << "[";
    for (int64_t d = 0; d < h->t.dim(); ++d) os << (d ? "," : "") << h->t.size(d);
    os << "] " << dtypeName(h->t.scalar_type());
  };
  for (size_t i = 0; i < info.Length(); ++i) {
    if (info[i].IsArray()) {
      auto arr = info[i].As<Napi::Array>();
      for (uint32_t k = 0; k < arr.Length() && k < 8; ++k) one(arr.Get(k));
    } else {
      one(info[i]);
    }
  }
  return os.str();
}

// TANGLENAS_CPP_STACKTRACES=1 keeps libtorch's C++ backtraces in error messages (debugging the addon).
static const bool kCppStackTraces = std::getenv("TANGLENAS_CPP_STACKTRACES") != nullptr;

static Napi::Value dispatch(const Napi::CallbackInfo& info) {
  auto* def = static_cast<OpDef*>(info.Data());
  Napi::Env env = info.Env();
  try {
    return def->fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const ArgError& e) {
    // Shapes of the tensor arguments that were valid help locate the bad call.
    auto shapes = describeArgs(info);
    throw Napi::TypeError::New(env, std::string(def->name) + ": " + e.what() + (shapes.empty() ? "" : " (inputs: " + shapes + ")"));
  } catch (const c10::Error& e) {
    std::string msg = kCppStackTraces ? e.what() : e.what_without_backtrace();
    auto shapes = describeArgs(info);
    throw Napi::Error::New(env, std::string(def->name) + ": " + msg + (shapes.empty() ? "" : " (inputs: " + shapes + ")"));
  } catch (const std::exception& e) {
    auto shapes = describeArgs(info);
    throw Napi::Error::New(env, std::string(def->name) + ": " + e.what() + (shapes.empty() ? "" : " (inputs: " + shapes + ")"));
  } catch (...) {
    // Anything else escaping a Node-API callback would call std::terminate.
    throw Napi::Error::New(env, std::string(def->name) + ": unknown native exception");
  }
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  // Every c10::Error captured and symbolised a C++ backtrace (~15 ms per error)
  // that the messages below never show; capture none unless asked for.
  if (!kCppStackTraces) c10::SetStackTraceFetcher([] { return std::string(); });
  for (auto& def : registry()) exports.Set(def.name, Napi::Function::New(env, dispatch, def.name, &def));
  return exports;
}

}  // namespace tn

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tn::init(env, exports); }
NODE_API_MODULE(tanglenas, InitModule)
