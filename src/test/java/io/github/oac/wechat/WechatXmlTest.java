package io.github.oac.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WechatXmlTest {

    private final WechatXml guard = new WechatXml();

    @Test
    void refusesADtdWhereverItHidesInTheProlog() {
        for (String xml : new String[] {"<!DOCTYPE x><xml/>", "  <?xml version=\"1.0\"?>\n<!doctype x []><xml/>",
                "\uFEFF<!-- hi --><!DOCTYPE x SYSTEM \"http://x\"><xml/>", "<!ENTITY x 'y'><xml/>"}) {
            assertThatThrownBy(() -> guard.requireNoDtd(xml)).as(xml).isInstanceOf(MalformedCallbackException.class);
        }
    }

    @Test
    void letsThroughMessagesThatMerelyTalkAboutDtds() {
        String xml = "<?xml version=\"1.0\"?><!-- c --><xml><Content><![CDATA[what is <!DOCTYPE html>?]]></Content></xml>";
        assertThat(guard.requireNoDtd(xml)).isSameAs(xml);
    }

    @Test
    void theParserItselfResolvesNoEntityAndFetchesNothing() throws Exception {
        // what the check above refuses, handed to the parser directly, as if a DTD had got past the check
        java.util.concurrent.atomic.AtomicInteger fetched = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            fetched.incrementAndGet();
            byte[] dtd = "<!ENTITY x 'pwned'>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, dtd.length);
            exchange.getResponseBody().write(dtd);
            exchange.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/x";
        String message = "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime>"
                + "<Content>%s</Content></xml>";
        try {
            for (String xml : new String[] {
                    "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" + message.formatted("&xxe;"),
                    "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"" + url + "\">]>" + message.formatted("&xxe;"),
                    "<!DOCTYPE xml [<!ENTITY % p SYSTEM \"" + url + "\"> %p;]>" + message.formatted("&x;"),
                    "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                            + message.formatted("&b;"),
                    message.formatted("&undeclared;")}) {
                assertThatThrownBy(() -> guard.read(xml)).as(xml)
                        .isInstanceOf(com.fasterxml.jackson.core.JacksonException.class);
            }
            // an external DTD without entities: read as plain XML, the DTD never fetched
            InboundMessage plain = guard.read("<!DOCTYPE xml SYSTEM \"" + url + "\">" + message.formatted("hi"));
            assertThat(plain.content()).isEqualTo("hi");
            assertThat(fetched).as("nothing fetched").hasValue(0);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void readsWhatWechatSends() throws Exception {
        InboundMessage message = guard.parse("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName>"
                + "<![CDATA[o1]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]>"
                + "</MsgType><Content><![CDATA[你好 <b>&amp;</b>]]></Content><MsgId>7300000000000000001</MsgId>"
                + "<MsgDataId>x</MsgDataId><Idx>1</Idx></xml>");

        assertThat(message.content()).isEqualTo("你好 <b>&amp;</b>");
        assertThat(message.msgId()).isEqualTo("7300000000000000001");
        assertThat(message.isComplete()).isTrue();
    }
}
