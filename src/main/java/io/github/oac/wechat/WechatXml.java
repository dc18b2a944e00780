package io.github.oac.wechat;

import java.io.IOException;

import javax.xml.stream.XMLInputFactory;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.xml.XmlFactory;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;

/**
 * WeChat's XML, read. WeChat never sends a document type declaration, so a callback that carries one is refused
 * outright (XXE, billion laughs) instead of trusting the parser to ignore it; and the parser itself has DTD support
 * and external entities switched off, so that an entity is refused even where the first check would miss it. Called
 * as {@code wechatXml}.
 */
@Component("wechatXml")
public class WechatXml {

    private final XmlMapper xml;

    public WechatXml() {
        XMLInputFactory input = XMLInputFactory.newFactory();
        input.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        input.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        this.xml = XmlMapper.builder(XmlFactory.builder().xmlInputFactory(input).build())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    /** The callback's message: no DTD in it (MalformedCallbackException), and XML (a Jackson exception otherwise). */
    public InboundMessage parse(String body) throws IOException {
        return read(requireNoDtd(body));
    }

    /** The parser alone, as hardened as it is: for the tests that prove it refuses entities by itself. */
    InboundMessage read(String body) throws IOException {
        return xml.readValue(body, InboundMessage.class);
    }

    /** Returns the body unchanged, or throws {@link MalformedCallbackException} if its prolog declares a DTD. */
    public String requireNoDtd(String xml) {
        int i = 0;
        int length = xml.length();
        while (i < length) {
            char c = xml.charAt(i);
            if (Character.isWhitespace(c) || c == '\uFEFF') {
                i++;
            } else if (xml.startsWith("<?", i)) {
                i = skipPast(xml, "?>", i + 2);
            } else if (xml.startsWith("<!--", i)) {
                i = skipPast(xml, "-->", i + 4);
            } else if (xml.startsWith("<!", i)) {
                throw new MalformedCallbackException("callback declares a DTD");
            } else {
                return xml; // the root element: a DTD cannot follow it
            }
        }
        return xml;
    }

    private static int skipPast(String xml, String end, int from) {
        int at = xml.indexOf(end, from);
        return at < 0 ? xml.length() : at + end.length();
    }
}
