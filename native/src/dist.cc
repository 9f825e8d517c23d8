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
// A backward pass whose parameter gradients are averaged over the ranks while
// it runs, as DDP's reducer does: the parameters, in reverse order (the order
// their gradients become ready), are packed into buckets of at most
// `bucketBytes` (the first one at most 1 MB, so communication starts early); a
// gradient hook copies each gradient into its bucket, and a full bucket's
// allreduce starts at once on Gloo's threads while the backward pass goes on.
// Buckets start strictly in order, so every rank issues the same collectives
// in the same order even when a rank's graph leaves some parameter without a
// gradient. Each bucket also carries one presence flag per parameter: a
// parameter gets a gradient when any rank gave it one (as in a single process
// with the whole batch), and stays without one otherwise.
namespace {
struct Bucket {
  std::vector<size_t> members;
  std::vector<int64_t> offsets;  // element offset of each member's gradient
  int64_t flags = 0;             // element offset of the presence flags
  at::Tensor flat;
  size_t pending = 0;
  c10::intrusive_ptr<c10d::Work> work;
};
}  // namespace
// (loss, params, bucketBytes): loss.backward() with the averaging above; bucketBytes <= 0: one bucket per dtype, reduced after the pass.
OP(distBackward) {
  auto& g = current();
  at::Tensor loss = tensorArg(info, 0);
  auto params = tensorsArg(info, 1);
  double cap = numArg(info, 2);
  std::vector<Bucket> buckets;
  std::vector<std::pair<size_t, size_t>> where(params.size(), {SIZE_MAX, 0});  // (bucket, member)
  {
    int64_t bytes = 0;
    for (size_t k = params.size(); k-- > 0;) {
      const auto& p = params[k];
      if (!p.requires_grad()) continue;
      int64_t b = p.numel() * static_cast<int64_t>(p.element_size());
      double limit = cap <= 0 ? INFINITY : (buckets.size() <= 1 ? std::min(cap, 1048576.0) : cap);
      bool fresh = buckets.empty();
      if (!fresh) {
        const auto& first = params[buckets.back().members.front()];
        fresh = first.scalar_type() != p.scalar_type() || first.device() != p.device() || (bytes > 0 && bytes + b > limit);
      }
      if (fresh) {
        buckets.emplace_back();
        bytes = 0;
      }
      auto& bk = buckets.back();
      int64_t at = bk.offsets.empty() ? 0 : bk.offsets.back() + params[bk.members.back()].numel();
      where[k] = {buckets.size() - 1, bk.members.size()};
      bk.members.push_back(k);
      bk.offsets.push_back(at);
      bytes += b;
    }
    for (auto& bk : buckets) {
      const auto& last = params[bk.members.back()];
      bk.flags = bk.offsets.back() + last.numel();
      bk.flat = at::zeros({bk.flags + static_cast<int64_t>(bk.members.size())}, last.options().requires_grad(false));
      bk.pending = bk.members.size();
    }
  }
  size_t launched = 0;
  auto launchReady = [&]() {
    while (launched < buckets.size() && buckets[launched].pending == 0) {
      std::vector<at::Tensor> v{buckets[launched].flat};
      buckets[launched].work = g.allreduce(v);
      ++launched;
    }
  };
  auto take = [&](size_t k, const at::Tensor& grad) {
    auto [b, m] = where[k];
    auto& bk = buckets[b];
    at::NoGradGuard ng;
    bk.flat.narrow(0, bk.offsets[m], params[k].numel()).copy_(grad.reshape({-1}));
    bk.flat.narrow(0, bk.flags + static_cast<int64_t>(m), 1).fill_(1);
    if (--bk.pending == 0) launchReady();
  };
  std::vector<std::pair<size_t, unsigned>> hooks;
  auto unhook = [&]() {
    for (auto [k, h] : hooks) params[k].remove_hook(h);
    hooks.clear();
  };
  try {
    for (size_t k = 0; k < params.size(); ++k)
      if (where[k].first != SIZE_MAX) hooks.push_back({k, params[k].register_hook([&take, k](const at::Tensor& grad) { take(k, grad); })});
    loss.backward();
    unhook();
  } catch (...) {
    unhook();
    throw;
  }
  // Parameters this rank's graph did not reach: zero gradient, no presence flag.
  for (auto& bk : buckets) bk.pending = 0;
  launchReady();
  at::NoGradGuard ng;
  double world = g.getSize();
  for (auto& bk : buckets) {
    bk.work->wait();
    auto present = bk.flat.narrow(0, bk.flags, static_cast<int64_t>(bk.members.size())).to(at::kCPU, at::kDouble);
    auto seen = present.accessor<double, 1>();
    bk.flat.div_(world);
    for (size_t m = 0; m < bk.members.size(); ++m) {
      auto& p = params[bk.members[m]];
      if (seen[static_cast<int64_t>(m)] == 0) continue;
      // A view of the bucket: the gradient shares its buffer, no copy.
      auto avg = bk.flat.narrow(0, bk.offsets[m], p.numel()).view(p.sizes());
      auto& gr = p.mutable_grad();
      if (gr.defined()) gr.copy_(avg);
      else gr = avg;
    }
  }
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
// (timeoutMs?): the group's timeout unless given (a wait for another rank's data download).
OP(distBarrier) {
  c10d::BarrierOptions o;
  if (auto t = optIntArg(info, 0)) o.timeout = std::chrono::milliseconds(*t);
  current().barrier(o)->wait();
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
TN_NO_GLOO(distBackward)
OP(distDestroy) { return info.Env().Undefined(); }
OP(distAvailable) { return Napi::Boolean::New(info.Env(), false); }
#endif
