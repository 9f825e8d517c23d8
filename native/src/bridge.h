// The bridge between JavaScript values and libtorch: tensor handles, argument
// parsing, error translation and the op registry. No NAS logic lives here.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace tn {

// A JS tensor handle is a Napi::External<Holder>. `reported` is the byte count
// told to V8 (AdjustExternalMemory) so GC pressure reflects native memory.
struct Holder {
  at::Tensor t;
  int64_t reported = 0;
};

// Thrown for JS-side argument mistakes; becomes a TypeError naming the op.
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Napi::Value wrap(Napi::Env env, at::Tensor t);
Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts);
void release(Napi::BasicEnv env, Holder* h);
// Number of handles whose tensor has not been released (freed or collected).
int64_t liveTensors();

at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i);
c10::optional<at::Tensor> optTensorArg(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> tensorsArg(const Napi::CallbackInfo& info, size_t i);
bool isTensor(const Napi::Value& v);
int64_t intArg(const Napi::CallbackInfo& info, size_t i);
c10::optional<int64_t> optIntArg(const Napi::CallbackInfo& info, size_t i);
double numArg(const Napi::CallbackInfo& info, size_t i);
c10::optional<double> optNumArg(const Napi::CallbackInfo& info, size_t i);
bool boolArg(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i);
std::string strArg(const Napi::CallbackInfo& info, size_t i);
at::Scalar scalarArg(const Napi::CallbackInfo& info, size_t i);
c10::optional<at::Scalar> optScalarArg(const Napi::CallbackInfo& info, size_t i);
at::ScalarType dtypeArg(const Napi::CallbackInfo& info, size_t i);
at::Device deviceArg(const Napi::CallbackInfo& info, size_t i);
at::TensorOptions optionsArg(const Napi::CallbackInfo& info, size_t dtypeIdx, size_t deviceIdx);
const char* dtypeName(at::ScalarType s);

using OpFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct OpDef {
  const char* name;
  OpFn fn;
};
std::vector<OpDef>& registry();
struct Registrar {
  Registrar(const char* name, OpFn fn) { registry().push_back({name, fn}); }
};

}  // namespace tn

// OP(add) { ... } defines and registers the native function `add`.
#define OP(NAME)                                                  \
  static Napi::Value NAME##_impl(const Napi::CallbackInfo& info); \
  static tn::Registrar NAME##_registrar(#NAME, NAME##_impl);      \
  static Napi::Value NAME##_impl(const Napi::CallbackInfo& info)
