package dev.sextant.krt;

/** A handle on a subscription; closing it stops delivery. */
@FunctionalInterface
public interface Registration extends AutoCloseable {
  @Override
  void close();
}
