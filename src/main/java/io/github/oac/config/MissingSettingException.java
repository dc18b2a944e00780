package io.github.oac.config;

/** A required setting is empty or unusable; reported at start-up as a single line by {@link MissingSettingFailureAnalyzer}. */
public class MissingSettingException extends RuntimeException {

    private final String envName;

    public MissingSettingException(String envName, String propertyName) {
        super("Missing required setting " + envName + " (property " + propertyName + ")");
        this.envName = envName;
    }

    public MissingSettingException(String envName, String propertyName, String problem) {
        super("Invalid setting " + envName + " (property " + propertyName + "): " + problem);
        this.envName = envName;
    }

    public String envName() {
        return envName;
    }
}
