package dev.sextant.krt;

/**
 * One change to one key of a {@link Collection}. {@code old} is null for ADDED, {@code current}
 * is null for DELETED.
 */
public record Event<T>(Type type, String key, T old, T current) {

  public enum Type {
    ADDED,
    UPDATED,
    DELETED
  }

  public static <T> Event<T> added(String key, T current) {
    return new Event<>(Type.ADDED, key, null, current);
  }

  public static <T> Event<T> updated(String key, T old, T current) {
    return new Event<>(Type.UPDATED, key, old, current);
  }

  public static <T> Event<T> deleted(String key, T old) {
    return new Event<>(Type.DELETED, key, old, null);
  }

  /** The newest value the event knows: {@code current}, or {@code old} for a deletion. */
  public T latest() {
    return current != null ? current : old;
  }

  @Override
  public String toString() {
    return type.name().toLowerCase(java.util.Locale.ROOT) + "/" + key;
  }
}
