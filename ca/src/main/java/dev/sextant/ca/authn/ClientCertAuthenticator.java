package dev.sextant.ca.authn;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Authenticates by the client certificate the TLS layer verified (istio/istio
 * {@code security/pkg/server/ca/authenticate/cert_authenticator.go}): every SAN of the leaf is an
 * identity (URIs and DNS names as written; IP SANs in textual form, where istiod turns the raw
 * address bytes into a string). No Kubernetes information, so such a caller can never impersonate.
 */
public final class ClientCertAuthenticator implements Authenticator {
  @Override
  public String name() {
    return "ClientCertAuthenticator";
  }

  @Override
  public Caller authenticate(AuthRequest request) throws AuthenticationException {
    if (!request.secure() || request.peerCertificates().isEmpty()) {
      throw new AuthenticationException("no_client_certificate", "no client certificate is presented", false);
    }
    X509Certificate leaf = request.peerCertificates().get(0);
    Collection<List<?>> sans;
    try {
      sans = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new AuthenticationException("bad_client_certificate", "the SAN extension cannot be parsed");
    }
    if (sans == null) {
      throw new AuthenticationException("bad_client_certificate", "the SAN extension does not exist");
    }
    List<String> ids = new ArrayList<>();
    for (List<?> san : sans) {
      if (san.size() >= 2 && san.get(1) instanceof String s) {
        ids.add(s);
      }
    }
    return new Caller(Caller.Source.CLIENT_CERTIFICATE, ids, KubernetesInfo.NONE);
  }
}
