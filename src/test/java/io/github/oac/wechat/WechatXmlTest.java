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
}
