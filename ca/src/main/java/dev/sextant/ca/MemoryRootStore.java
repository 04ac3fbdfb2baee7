package dev.sextant.ca;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** A root kept in memory only: istiod's behaviour without a kube client and without a key dir. */
public final class MemoryRootStore implements RootStore {
  private final AtomicReference<StoredRoot> root = new AtomicReference<>();

  @Override
  public Optional<StoredRoot> load() {
    return Optional.ofNullable(root.get());
  }

  @Override
  public boolean create(StoredRoot r) {
    return root.compareAndSet(null, r);
  }

  @Override
  public void update(StoredRoot r) {
    root.set(r);
  }

  @Override
  public String describe() {
    return "memory";
  }
}
