package dev.sextant.source;

import dev.sextant.krt.StaticCollection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Locale;
import java.util.function.Function;

/**
 * One kind of input object: its API group and kind (any version is accepted), the fabric8 class it
 * is read into, whether it lives in a namespace, and the input collection it feeds.
 */
public record InputKind<T extends HasMetadata>(
    String group,
    String kind,
    Class<T> type,
    boolean namespaced,
    Function<Inputs, StaticCollection<T>> collection) {

  /** {@code group/kind} in lower case: how a document's apiVersion and kind are looked up. */
  public String id() {
    return id(group, kind);
  }

  static String id(String group, String kind) {
    return group.toLowerCase(Locale.ROOT) + "/" + kind.toLowerCase(Locale.ROOT);
  }

  /** The collection key of an object of this kind: {@code namespace/name}, or {@code name}. */
  public String keyOf(HasMetadata object) {
    return ObjectKeys.of(object);
  }
}
