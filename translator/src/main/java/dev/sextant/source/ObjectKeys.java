package dev.sextant.source;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** Collection keys of Kubernetes objects, as client-go's {@code MetaNamespaceKeyFunc}. */
public final class ObjectKeys {
  private ObjectKeys() {}

  public static String of(HasMetadata object) {
    String ns = object.getMetadata().getNamespace();
    String name = object.getMetadata().getName();
    return ns == null || ns.isEmpty() ? name : ns + "/" + name;
  }

  public static String of(String namespace, String name) {
    return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
  }
}
