package dev.sextant.xds;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import dev.sextant.krt.Keyed;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * One xDS resource, serialized once: the {@link Resource} envelope holds the payload bytes that
 * every stream sends as they are. {@code version} is the content hash of the payload.
 *
 * @param aliases other names a client may look the resource up by ({@code network/ip}); sent only
 *     in on-demand responses
 * @param related keys that relate this resource to others, for on-demand lookups: for a workload,
 *     {@code service:<ns>/<hostname>} of each service it serves and {@code node:<name>}
 */
public record XdsResource(
    String typeUrl, String name, Resource resource, List<String> aliases, List<String> related, Scope scope)
    implements Keyed {

  public XdsResource {
    aliases = List.copyOf(aliases);
    related = List.copyOf(related);
  }

  /** Serializes {@code payload} (deterministically, so equal content gives equal bytes). */
  public static XdsResource of(
      String typeUrl, String name, Message payload, List<String> aliases, List<String> related, Scope scope) {
    byte[] bytes = deterministicBytes(payload);
    Resource resource = Resource.newBuilder()
        .setName(name)
        .setVersion(XxHash64.hex(bytes))
        .setResource(Any.newBuilder().setTypeUrl(typeUrl).setValue(ByteString.copyFrom(bytes)))
        .build();
    return new XdsResource(typeUrl, name, resource, aliases, related, scope);
  }

  public String version() {
    return resource.getVersion();
  }

  /** Payload size in bytes. */
  public int size() {
    return resource.getResource().getValue().size();
  }

  @Override
  public String key() {
    return name;
  }

  static byte[] deterministicBytes(Message m) {
    byte[] out = new byte[m.getSerializedSize()];
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    cos.useDeterministicSerialization();
    try {
      m.writeTo(cos);
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
