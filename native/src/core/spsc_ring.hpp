// Lock-free single-producer single-consumer rings: the only things the real-time callback
// shares with the UDP and control threads.
//
// Indices are free-running counters (items ever written / read): index & (capacity − 1) is the
// slot, write − read the fill level, so full and empty differ without sacrificing a slot, and
// each side stores only its own counter. The producer publishes with a release store after
// writing a slot, the consumer acquires before reading it, and the other way round for freeing
// slots. The two counters live on separate cache lines, each beside a private copy of the other
// side's counter, refreshed only when the cached value says full (or empty): most operations
// then touch no line the other thread writes.
//
// Storage is allocated once, in the constructor; push/pop and the slot calls never allocate,
// lock or throw (SpscRing<T> as long as T's copy assignment does not).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace syfala {

inline constexpr size_t kCacheLineBytes = 64;

/// The smallest power of two ≥ n (≥ 1): a ring's capacity for at least n items.
inline size_t next_power_of_two(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

namespace detail {

inline void check_ring_capacity(size_t capacity, const char* message) {
  if (capacity == 0 || (capacity & (capacity - 1)) != 0) throw std::invalid_argument(message);
}

/// The producer's line: its counter and its view of the consumer's.
struct alignas(kCacheLineBytes) ProducerSide {
  std::atomic<size_t> write{0};
  size_t read_seen = 0;
};

/// The consumer's line: its counter and its view of the producer's.
struct alignas(kCacheLineBytes) ConsumerSide {
  std::atomic<size_t> read{0};
  size_t write_seen = 0;
};

}  // namespace detail

template <class T>
class SpscRing {
 public:
  /// `capacity` items, a power of two; throws std::invalid_argument otherwise.
  explicit SpscRing(size_t capacity) : capacity_(capacity), mask_(capacity - 1) {
    detail::check_ring_capacity(capacity, "SpscRing: capacity must be a power of two");
    items_.reset(new T[capacity]());
  }

  /// Producer: copies `item` in; false when full.
  bool push(const T& item) {
    const size_t w = producer_.write.load(std::memory_order_relaxed);
    if (w - producer_.read_seen == capacity_) {
      producer_.read_seen = consumer_.read.load(std::memory_order_acquire);
      if (w - producer_.read_seen == capacity_) return false;
    }
    items_[w & mask_] = item;
    producer_.write.store(w + 1, std::memory_order_release);
    return true;
  }

  /// Consumer: copies the oldest item out; false when empty.
  bool pop(T& out) {
    const size_t r = consumer_.read.load(std::memory_order_relaxed);
    if (r == consumer_.write_seen) {
      consumer_.write_seen = producer_.write.load(std::memory_order_acquire);
      if (r == consumer_.write_seen) return false;
    }
    out = items_[r & mask_];
    consumer_.read.store(r + 1, std::memory_order_release);
    return true;
  }

  /// Producer: copies all `n` items in, or none (false) when fewer than `n` slots are free.
  bool push_all(const T* items, size_t n) {
    const size_t w = producer_.write.load(std::memory_order_relaxed);
    if (capacity_ - (w - producer_.read_seen) < n) {
      producer_.read_seen = consumer_.read.load(std::memory_order_acquire);
      if (capacity_ - (w - producer_.read_seen) < n) return false;
    }
    for (size_t i = 0; i < n; ++i) items_[(w + i) & mask_] = items[i];
    producer_.write.store(w + n, std::memory_order_release);
    return true;
  }

  /// Consumer: copies the `n` oldest items out, or none (false) when fewer are waiting.
  bool pop_all(T* out, size_t n) {
    const size_t r = consumer_.read.load(std::memory_order_relaxed);
    if (consumer_.write_seen - r < n) {
      consumer_.write_seen = producer_.write.load(std::memory_order_acquire);
      if (consumer_.write_seen - r < n) return false;
    }
    for (size_t i = 0; i < n; ++i) out[i] = items_[(r + i) & mask_];
    consumer_.read.store(r + n, std::memory_order_release);
    return true;
  }

  /// Consumer: drops up to `n` of the oldest items; returns how many it dropped.
  size_t skip(size_t n) {
    const size_t r = consumer_.read.load(std::memory_order_relaxed);
    consumer_.write_seen = producer_.write.load(std::memory_order_acquire);
    const size_t dropped = std::min(n, consumer_.write_seen - r);
    consumer_.read.store(r + dropped, std::memory_order_release);
    return dropped;
  }

  /// Items waiting, from either thread (a snapshot: the other side may move meanwhile).
  size_t size() const {
    // Read first: the write counter loaded after it can only be larger.
    const size_t r = consumer_.read.load(std::memory_order_acquire);
    const size_t w = producer_.write.load(std::memory_order_acquire);
    return std::min(w - r, capacity_);
  }

  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  const size_t mask_;
  std::unique_ptr<T[]> items_;
  detail::ProducerSide producer_;
  detail::ConsumerSide consumer_;
};

/// Fixed-size slots each holding one datagram or block, between a producer (writes straight into
/// write_slot(), then commit()) and a consumer (read_slot() or peek(), then release()): the
/// packets the audio callback stages before it sends them, the blocks a DuplexBridge hands
/// between JACK's thread and its worker. Nothing is copied on the way.
class DatagramRing {
 public:
  /// `slots` a power of two, `slot_bytes` ≥ 1 (e.g. 1500); throws std::invalid_argument
  /// otherwise. Slots start on cache lines, so a payload after the 24-byte header is 8-aligned.
  DatagramRing(size_t slots, size_t slot_bytes)
      : slots_(slots), mask_(slots - 1), slot_bytes_(slot_bytes) {
    detail::check_ring_capacity(slots, "DatagramRing: slot count must be a power of two");
    if (slot_bytes == 0) throw std::invalid_argument("DatagramRing: slots must hold ≥ 1 byte");
    lines_per_slot_ = (slot_bytes + kCacheLineBytes - 1) / kCacheLineBytes;
    // Zeroed here, so the real-time producer never faults a page in.
    lines_.reset(new CacheLine[slots * lines_per_slot_]());
    lengths_.reset(new size_t[slots]());
  }

  /// Producer: the next free slot (slot_bytes() long), or nullptr when the ring is full (the
  /// producer counts an overrun).
  uint8_t* write_slot() {
    const size_t w = producer_.write.load(std::memory_order_relaxed);
    if (w - producer_.read_seen == slots_) {
      producer_.read_seen = consumer_.read.load(std::memory_order_acquire);
      if (w - producer_.read_seen == slots_) return nullptr;
    }
    return slot(w);
  }

  /// Producer: publishes the slot write_slot() returned, holding `len` bytes (at most
  /// slot_bytes(); more is cut to it). Only after a write_slot() that was not nullptr.
  void commit(size_t len) {
    const size_t w = producer_.write.load(std::memory_order_relaxed);
    lengths_[w & mask_] = std::min(len, slot_bytes_);
    producer_.write.store(w + 1, std::memory_order_release);
  }

  /// Consumer: the oldest datagram and its length, or nullptr when the ring is empty.
  const uint8_t* read_slot(size_t& len) { return peek(0, len); }

  /// Consumer: frees the slot read_slot() returned. Only after a read_slot() that was not nullptr.
  void release() { release(1); }

  /// Consumer: the i-th oldest datagram (0 = read_slot()'s), or nullptr when fewer are queued.
  /// For batched sends (sendmmsg): peek a batch, send it, then release(n).
  const uint8_t* peek(size_t i, size_t& len) {
    const size_t read = consumer_.read.load(std::memory_order_relaxed);
    if (i >= consumer_.write_seen - read) {
      consumer_.write_seen = producer_.write.load(std::memory_order_acquire);
      if (i >= consumer_.write_seen - read) return nullptr;
    }
    len = lengths_[(read + i) & mask_];
    return slot(read + i);
  }

  /// Consumer: frees the `n` oldest slots, all seen through peek() or read_slot().
  void release(size_t n) {
    const size_t r = consumer_.read.load(std::memory_order_relaxed);
    consumer_.read.store(r + n, std::memory_order_release);
  }

  size_t slot_bytes() const { return slot_bytes_; }
  size_t slots() const { return slots_; }

  /// Datagrams waiting, from either thread (a snapshot).
  size_t size() const {
    const size_t r = consumer_.read.load(std::memory_order_acquire);
    const size_t w = producer_.write.load(std::memory_order_acquire);
    return std::min(w - r, slots_);
  }

 private:
  struct alignas(kCacheLineBytes) CacheLine {
    uint8_t bytes[kCacheLineBytes];
  };

  uint8_t* slot(size_t index) const {
    return lines_[(index & mask_) * lines_per_slot_].bytes;
  }

  const size_t slots_;
  const size_t mask_;
  const size_t slot_bytes_;
  size_t lines_per_slot_ = 0;
  std::unique_ptr<CacheLine[]> lines_;
  std::unique_ptr<size_t[]> lengths_;
  detail::ProducerSide producer_;
  detail::ConsumerSide consumer_;
};

}  // namespace syfala
