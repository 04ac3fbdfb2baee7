package dev.sextant.ca;

import io.grpc.Status;

/**
 * The kinds of signing failure, with istiod's names (the {@code error} label of
 * {@code citadel_server_csr_sign_err_count}) and gRPC codes (istio/istio
 * {@code security/pkg/pki/error/error.go}).
 */
public enum CaError {
  CA_NOT_READY(Status.Code.INTERNAL),
  CSR_ERROR(Status.Code.INVALID_ARGUMENT),
  TTL_ERROR(Status.Code.INVALID_ARGUMENT),
  CERT_GEN_ERROR(Status.Code.INTERNAL);

  private final Status.Code code;

  CaError(Status.Code code) {
    this.code = code;
  }

  public Status.Code code() {
    return code;
  }
}
