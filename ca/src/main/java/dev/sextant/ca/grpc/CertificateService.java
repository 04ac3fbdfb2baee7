package dev.sextant.ca.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Value;
import dev.sextant.api.ca.IstioCertificateRequest;
import dev.sextant.api.ca.IstioCertificateResponse;
import dev.sextant.api.ca.IstioCertificateServiceGrpc;
import dev.sextant.ca.CaException;
import dev.sextant.ca.CaMetrics;
import dev.sextant.ca.CertificateAuthority;
import dev.sextant.ca.authn.AuthRequest;
import dev.sextant.ca.authn.AuthenticationException;
import dev.sextant.ca.authn.Authenticators;
import dev.sextant.ca.authn.Caller;
import dev.sextant.ca.authz.ImpersonationDeniedException;
import dev.sextant.ca.authz.NodeAuthorizer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.v1.auth.IstioCertificateService/CreateCertificate}, as istiod serves it (istio/istio
 * {@code security/pkg/server/ca/server.go}).
 *
 * <p>Order: count the request; authenticate (failure: UNAUTHENTICATED
 * {@code request authenticate failure: <why>}); the SANs are the caller's identities, or, with a
 * string {@code ImpersonatedIdentity} in the metadata, that one identity if the node authorizer
 * allows it (otherwise UNAUTHENTICATED {@code request impersonation authentication failure},
 * the reason logged only); sign (failure: the {@link dev.sextant.ca.CaError}'s code,
 * {@code CSR signing error (<detail>)}); count the success.
 *
 * <p>Messages never hold a stack trace, a token or key material. Unexpected exceptions become
 * INTERNAL {@code CSR signing error (internal error)} and are logged here.
 *
 * <p>Threading: stateless; runs on the server's executor.
 */
public final class CertificateService extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(CertificateService.class);
  static final String IMPERSONATED_IDENTITY = "ImpersonatedIdentity";
  static final String AUTHN_FAILURE = "request authenticate failure";
  static final String IMPERSONATION_FAILURE = "request impersonation authentication failure";

  private final CertificateAuthority ca;
  private final Authenticators authenticators;
  private final NodeAuthorizer nodeAuthorizer;
  private final CaMetrics metrics;

  /**
   * @param nodeAuthorizer null when {@code CA_TRUSTED_NODE_ACCOUNTS} is empty: every impersonation is refused
   */
  public CertificateService(CertificateAuthority ca, Authenticators authenticators, NodeAuthorizer nodeAuthorizer,
      CaMetrics metrics) {
    this.ca = ca;
    this.authenticators = authenticators;
    this.nodeAuthorizer = nodeAuthorizer;
    this.metrics = metrics;
  }

  @Override
  public void createCertificate(IstioCertificateRequest request,
      StreamObserver<IstioCertificateResponse> responseObserver) {
    try {
      responseObserver.onNext(create(request));
      responseObserver.onCompleted();
    } catch (StatusException e) {
      responseObserver.onError(e.status.asRuntimeException());
    } catch (RuntimeException e) {
      log.error("CreateCertificate failed unexpectedly", e);
      metrics.signFailed(dev.sextant.ca.CaError.CERT_GEN_ERROR, "internal_error");
      responseObserver.onError(Status.INTERNAL.withDescription("CSR signing error (internal error)").asRuntimeException());
    }
  }

  private IstioCertificateResponse create(IstioCertificateRequest request) throws StatusException {
    metrics.csrReceived();
    AuthRequest auth = AuthInterceptor.current();
    if (auth == null) {
      auth = new AuthRequest(new Metadata(), List.of(), false, null);
    }
    Caller caller;
    try {
      caller = authenticators.authenticate(auth).orElse(null);
    } catch (AuthenticationException e) {
      metrics.authenticationFailed(e.reason());
      throw new StatusException(Status.UNAUTHENTICATED.withDescription(AUTHN_FAILURE + ": " + e.getMessage()));
    }
    if (caller == null) {
      metrics.authenticationFailed("authentication_disabled");
      throw new StatusException(Status.UNAUTHENTICATED.withDescription(
          AUTHN_FAILURE + ": " + (auth.secure() ? "XDS_AUTH is off" : "plaintext connection")));
    }
    List<String> sans = caller.identities();
    String impersonated = stringField(request, IMPERSONATED_IDENTITY);
    if (!impersonated.isEmpty()) {
      if (nodeAuthorizer == null) {
        metrics.authenticationFailed("impersonation_not_configured");
        log.warn("impersonation not allowed, as node authorizer (CA_TRUSTED_NODE_ACCOUNTS) is not configured");
        throw new StatusException(Status.UNAUTHENTICATED.withDescription(IMPERSONATION_FAILURE));
      }
      try {
        nodeAuthorizer.authorize(auth.clusterId(), caller.kubernetes(), impersonated);
      } catch (ImpersonationDeniedException e) {
        metrics.authenticationFailed(e.reason());
        log.warn("impersonation failed for identity {}, error: {}", impersonated, e.getMessage());
        throw new StatusException(Status.UNAUTHENTICATED.withDescription(IMPERSONATION_FAILURE));
      }
      sans = List.of(impersonated);
    }
    List<ByteString> chain;
    try {
      chain = ca.signWorkloadEncoded(request.getCsr(), sans, request.getValidityDuration());
    } catch (CaException e) {
      metrics.signFailed(e.error(), e.error().name());
      log.info("CSR signing error: {} ({})", e.getMessage(), e.error());
      throw new StatusException(Status.fromCode(e.error().code())
          .withDescription("CSR signing error (" + e.getMessage() + ")"));
    }
    metrics.issued();
    IstioCertificateResponse.Builder response = IstioCertificateResponse.newBuilder();
    for (ByteString element : chain) {
      response.addCertChainBytes(element);
    }
    return response.build();
  }

  /** A metadata value read as istiod reads it: the string, or "" for any other kind. */
  private static String stringField(IstioCertificateRequest request, String key) {
    Value v = request.getMetadata().getFieldsMap().get(key);
    return v == null || v.getKindCase() != Value.KindCase.STRING_VALUE ? "" : v.getStringValue();
  }

  private static final class StatusException extends Exception {
    final Status status;

    StatusException(Status status) {
      super(null, null, false, false);
      this.status = status;
    }
  }
}
