package dev.sextant.ca;

import java.io.IOException;
import java.util.Optional;

/**
 * Where the self-signed root and its key persist across restarts: the {@code istio-ca-secret}
 * Secret (Kubernetes mode) or a directory ({@code --caDir}), both in istiod's key names so a Go
 * istiod and Sextant can take over from each other.
 */
public interface RootStore {
  /** istiod's data keys (istio/istio {@code security/pkg/pki/ca/ca.go}). */
  String CA_CERT = "ca-cert.pem";
  String CA_KEY = "ca-key.pem";
  String ROOT_CERT = "root-cert.pem";
  String CERT_CHAIN = "cert-chain.pem";
  String KEY = "key.pem";
  String ISTIO_GENERATED = "istio-generated";

  /** The stored root cert and key: {@code ca-cert.pem} and {@code ca-key.pem}. */
  record StoredRoot(String caCertPem, String caKeyPem) {
    @Override
    public String toString() {
      return "StoredRoot[cert=" + caCertPem.length() + " chars, key=<redacted>]";
    }
  }

  /** The stored root, or empty if there is none yet. */
  Optional<StoredRoot> load() throws IOException;

  /** Stores a new root; false if one exists already (another replica won the race). */
  boolean create(StoredRoot root) throws IOException;

  /** Replaces the cert and key of the existing root, keeping every other key as it is. */
  void update(StoredRoot root) throws IOException;

  /** For logs: where it is. */
  String describe();
}
