package dev.sextant.ca.authn;

import java.util.List;

/**
 * An authenticated caller: its identities (SPIFFE URIs, or every SAN of its client certificate)
 * and, for token callers, what Kubernetes says about it.
 */
public record Caller(Source source, List<String> identities, KubernetesInfo kubernetes) {
  public Caller {
    identities = List.copyOf(identities);
  }

  /** How the caller proved who it is. */
  public enum Source {
    CLIENT_CERTIFICATE,
    ID_TOKEN
  }
}
