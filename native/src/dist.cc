// Data-parallel communication: thin forwards to libtorch's c10d (a TCPStore
// rendezvous and a Gloo process group; one group per process). Builds without
// Gloo's headers too (a libtorch package that lacks them): every call then says so.
#include "bridge.h"

#if __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>) && __has_include(<gloo/algorithm.h>)
#define TN_GLOO 1
// The header compiles its contents only for builds with Gloo (libtorch defines this when building itself).
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <chrono>
#include <cstdlib>

using namespace tn;
using Napi::CallbackInfo;

#ifdef TN_GLOO
namespace {
c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
c10::intrusive_ptr<c10d::TCPStore> store;

c10d::ProcessGroupGloo& current() {
  if (!group) throw ArgError("no process group: call initProcessGroup first");
  return *group;
}
}  // namespace

// (addr, port, rank, world, timeoutMs): rank 0 serves the store; all wait for each other.
OP(distInit) {
  if (group) throw ArgError("a process group exists already in this process (destroy it first)");
  std::string addr = strArg(info, 0);
  int64_t port = intArg(info, 1), rank = intArg(info, 2), world = intArg(info, 3);
  auto timeout = std::chrono::milliseconds(intArg(info, 4));
  if (port < 1 || port > 65535) throw ArgError("port must be in 1..65535, got " + std::to_string(port));
  if (world < 1 || rank < 0 || rank >= world) throw ArgError("rank " + std::to_string(rank) + " is outside world size " + std::to_string(world));
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<std::size_t>(world);
  so.waitWorkers = true;
  so.timeout = timeout;
  auto s = c10::make_intrusive<c10d::TCPStore>(addr, so);
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  // GLOO_SOCKET_IFNAME (comma-separated, as PyTorch reads it) picks the interfaces; else the host name's.
  const char* ifnames = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifnames && *ifnames) {
    std::string list(ifnames);
    for (size_t at = 0; at <= list.size();) {
      auto end = list.find(',', at);
      if (end == std::string::npos) end = list.size();
      auto name = list.substr(at, end - at);
      if (!name.empty()) {
        try {
          opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
        } catch (const std::exception& e) {
          throw ArgError("GLOO_SOCKET_IFNAME: no usable network interface '" + name + "' (" + e.what() + "); name one that 'ip addr' lists, e.g. eth0 or lo");
        }
      }
      at = end + 1;
    }
  }
  if (opts->devices.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  group = c10::make_intrusive<c10d::ProcessGroupGloo>(s, static_cast<int>(rank), static_cast<int>(world), opts);
  store = s;
  return info.Env().Undefined();
}
// (tensors): in-place sum over the ranks.
OP(distAllreduce) {
  auto ts = tensorsArg(info, 0);
  current().allreduce(ts)->wait();
  return info.Env().Undefined();
}
// (tensors, root): in place, root's values everywhere.
OP(distBroadcast) {
  auto ts = tensorsArg(info, 0);
  c10d::BroadcastOptions o;
  o.rootRank = intArg(info, 1);
  current().broadcast(ts, o)->wait();
  return info.Env().Undefined();
}
// Differentiable sum over the ranks (SyncBatchNorm's statistics): forward and
// backward are both an allreduce-sum, since every rank's loss depends on the sum.
namespace {
struct AllreduceSum : public torch::autograd::Function<AllreduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext*, at::Tensor x) {
    std::vector<at::Tensor> v{x.detach().contiguous().clone()};
    current().allreduce(v)->wait();
    return v[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*, torch::autograd::variable_list g) {
    std::vector<at::Tensor> v{g[0].contiguous().clone()};
    current().allreduce(v)->wait();
    return {v[0]};
  }
};
}  // namespace
// (tensor): a new tensor, the sum over the ranks, with the gradient of that sum.
OP(distAllreduceSumDiff) { return wrap(info.Env(), AllreduceSum::apply(tensorArg(info, 0))); }
OP(distBarrier) {
  current().barrier()->wait();
  return info.Env().Undefined();
}
OP(distDestroy) {
  group.reset();
  store.reset();
  return info.Env().Undefined();
}
OP(distAvailable) { return Napi::Boolean::New(info.Env(), true); }
#else
#define TN_NO_GLOO(NAME) \
  OP(NAME) { throw ArgError("this libtorch build has no Gloo headers (c10d ProcessGroupGloo): data-parallel runs are not available"); }
TN_NO_GLOO(distInit)
TN_NO_GLOO(distAllreduce)
TN_NO_GLOO(distBroadcast)
TN_NO_GLOO(distBarrier)
TN_NO_GLOO(distAllreduceSumDiff)
OP(distDestroy) { return info.Env().Undefined(); }
OP(distAvailable) { return Napi::Boolean::New(info.Env(), false); }
#endif
