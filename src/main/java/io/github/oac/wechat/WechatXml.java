package io.github.oac.wechat;

import org.springframework.stereotype.Component;

/**
 * WeChat never sends a document type declaration, so a callback that carries one is refused outright (XXE, billion
 * laughs) instead of trusting the parser to ignore it. The parser (camel-jacksonxml) has DTD support and external
 * entities switched off as well. Called as {@code wechatXml}.
 */
@Component("wechatXml")
public class WechatXml {

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
