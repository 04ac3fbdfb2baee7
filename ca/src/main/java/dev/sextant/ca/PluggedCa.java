package dev.sextant.ca;

import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A plugged-in CA's files, as istiod finds them in {@code ROOT_CA_DIR} (the mounted
 * {@code cacerts} Secret) or, in Kubernetes mode without the mount, in the {@code cacerts} Secret
 * itself (istio/istio {@code pilot/pkg/bootstrap/istio_ca.go}, {@code detectSigningCABundleAndCRL},
 * {@code checkCABundleCompleteness}).
 *
 * <p>Layouts: {@code tls.crt} present means the {@code kubernetes.io/tls} layout (signing cert
 * {@code tls.crt}, key {@code tls.key}, root {@code ca.crt}, chain = {@code tls.crt} then
 * {@code ca.crt}); otherwise istiod's ({@code ca-cert.pem}, {@code ca-key.pem},
 * {@code root-cert.pem}, {@code cert-chain.pem}). The set is complete when key, cert, root and a
 * chain file all exist; some but not all of them is a fatal start-up error, as in istiod.
 */
public record PluggedCa(String signingCert, String signingKey, String certChain, String rootCert,
    boolean istioGenerated) {

  @Override
  public String toString() {
    return "PluggedCa[istioGenerated=" + istioGenerated + "]";
  }

  /** The concatenation of everything, for change detection. */
  String fingerprint() {
    return signingCert + "\u0000" + signingKey + "\u0000" + certChain + "\u0000" + rootCert;
  }

  /** Thrown when only part of a plugged-in set is present. */
  public static final class IncompleteException extends IOException {
    IncompleteException(String where) {
      super("failed to create an istiod CA: incomplete signing CA bundle detected in " + where);
    }
  }

  /** The complete set in {@code dir}, or empty if the directory holds none of it. */
  public static Optional<PluggedCa> fromDirectory(Path dir) throws IOException {
    return read(name -> {
      Path p = dir.resolve(name);
      try {
        return Files.isRegularFile(p) ? Files.readString(p, StandardCharsets.UTF_8) : null;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, "directory " + dir);
  }

  /** The complete set in a {@code cacerts} Secret, or empty if it holds none of it. */
  public static Optional<PluggedCa> fromSecret(Secret secret) throws IOException {
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    Map<String, String> stringData = secret.getStringData() == null ? Map.of() : secret.getStringData();
    return read(name -> data.containsKey(name) || stringData.containsKey(name) ? SecretRootStore.data(secret, name)
        : null, "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName());
  }

  private static Optional<PluggedCa> read(Function<String, String> files, String where) throws IOException {
    String cert;
    String key;
    String root;
    List<String> chainNames;
    try {
      if (files.apply("tls.crt") != null) {
        cert = files.apply("tls.crt");
        key = files.apply("tls.key");
        root = files.apply("ca.crt");
        chainNames = List.of("tls.crt", "ca.crt");
      } else {
        cert = files.apply(RootStore.CA_CERT);
        key = files.apply(RootStore.CA_KEY);
        root = files.apply(RootStore.ROOT_CERT);
        chainNames = List.of(RootStore.CERT_CHAIN);
      }
      StringBuilder chain = new StringBuilder();
      boolean anyChain = false;
      for (String n : chainNames) {
        String c = files.apply(n);
        if (c != null) {
          anyChain = true;
          chain.append(c);
        }
      }
      boolean any = cert != null || key != null || root != null || anyChain;
      boolean complete = cert != null && key != null && root != null && anyChain;
      if (!any) {
        return Optional.empty();
      }
      if (!complete) {
        throw new IncompleteException(where);
      }
      return Optional.of(new PluggedCa(cert, key, chain.toString(), root,
          files.apply(RootStore.ISTIO_GENERATED) != null));
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * istiod's rule for a root change at runtime ({@code pemBundleHasSubsetRelation}): allowed only
   * when one bundle's certificates are a subset of the other's (roots added or removed).
   */
  static boolean subsetRelation(String a, String b) {
    Set<String> ca = derSet(a);
    Set<String> cb = derSet(b);
    if (ca.isEmpty() || cb.isEmpty()) {
      return false;
    }
    return ca.containsAll(cb) || cb.containsAll(ca);
  }

  private static Set<String> derSet(String pem) {
    Set<String> out = new HashSet<>();
    List<Pem.Block> blocks = new ArrayList<>(Pem.all(pem));
    for (Pem.Block b : blocks) {
      if (Pem.CERTIFICATE.equals(b.label())) {
        out.add(java.util.Base64.getEncoder().encodeToString(b.der()));
      }
    }
    return out;
  }
}
