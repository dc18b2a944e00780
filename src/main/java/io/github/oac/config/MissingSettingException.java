package io.github.oac.config;

/** A required setting is empty; reported at start-up as a single line by {@link MissingSettingFailureAnalyzer}. */
public class MissingSettingException extends RuntimeException {

    private final String envName;

    public MissingSettingException(String envName, String propertyName) {
        super("Missing required setting " + envName + " (property " + propertyName + ")");
        this.envName = envName;
    }

    public String envName() {
        return envName;
    }
}
