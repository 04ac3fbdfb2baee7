package dev.sextant.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;

/**
 * Reads a custom resource, received as a {@link GenericKubernetesResource}, into its fabric8 model
 * class, strictly: a field of the wrong type, or an enum value the model does not know, is an
 * error naming the field, not a silent null.
 *
 * <p>Why strict: the Istio model's enums are read by a {@code fromValue} factory that answers null
 * for any value it does not know, so with fabric8's own mapper an AuthorizationPolicy
 * {@code action: AUDIT} from a newer Istio, or a typo, would be read as no action at all, which
 * the translator would take for the default ({@code ALLOW}). Here a null from an enum factory for
 * a value that is not null fails the read, and the object is reported and skipped instead.
 *
 * <p>Threading: immutable; safe for concurrent use.
 */
final class CustomResourceReader {
  private final KubernetesSerialization serialization;

  CustomResourceReader() {
    ObjectMapper mapper = new ObjectMapper();
    SimpleModule strictEnums = new SimpleModule("sextant-strict-enums");
    strictEnums.setDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public JsonDeserializer<?> modifyEnumDeserializer(DeserializationConfig config, JavaType type,
          BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
        return new StrictEnumDeserializer(deserializer, type.getRawClass());
      }
    });
    mapper.registerModule(strictEnums);
    this.serialization = new KubernetesSerialization(mapper, true);
  }

  /** Reads {@code resource} as {@code type}; throws IllegalArgumentException saying what is wrong. */
  <T extends HasMetadata> T read(GenericKubernetesResource resource, Class<T> type) {
    try {
      return serialization.convertValue(resource, type);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read as " + type.getSimpleName() + ": "
          + firstLine(e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
    }
  }

  /** Reads a parsed document (from a config file) as {@code type}, as strictly. */
  <T extends HasMetadata> T read(com.fasterxml.jackson.databind.JsonNode node, Class<T> type) {
    try {
      return serialization.convertValue(node, type);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read as " + type.getSimpleName() + ": "
          + firstLine(e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
    }
  }

  private static String firstLine(String s) {
    return s == null ? "unknown error" : s.split("\n", 2)[0];
  }

  /** Delegates to the model's enum deserializer and refuses the null it gives for an unknown value. */
  private static final class StrictEnumDeserializer extends DelegatingDeserializer {
    private final Class<?> enumType;

    StrictEnumDeserializer(JsonDeserializer<?> delegate, Class<?> enumType) {
      super(delegate);
      this.enumType = enumType;
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
      return new StrictEnumDeserializer(newDelegatee, enumType);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken token = p.currentToken();
      String text = token != null && token.isScalarValue() ? p.getText() : String.valueOf(token);
      Object value = super.deserialize(p, ctxt);
      if (value == null && token != JsonToken.VALUE_NULL) {
        throw InvalidFormatException.from(p, "unknown value \"" + text + "\" for " + enumType.getSimpleName(),
            text, enumType);
      }
      return value;
    }
  }
}
