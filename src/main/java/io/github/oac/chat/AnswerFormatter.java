package io.github.oac.chat;

import java.util.List;

import org.commonmark.Extension;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.ext.gfm.tables.TableBlock;
import org.commonmark.ext.gfm.tables.TableBody;
import org.commonmark.ext.gfm.tables.TableHead;
import org.commonmark.ext.gfm.tables.TableRow;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.BlockQuote;
import org.commonmark.node.BulletList;
import org.commonmark.node.Code;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.Document;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.Image;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Link;
import org.commonmark.node.ListItem;
import org.commonmark.node.Node;
import org.commonmark.node.OrderedList;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.Text;
import org.commonmark.node.ThematicBreak;
import org.commonmark.parser.Parser;
import org.springframework.stereotype.Component;

/**
 * WeChat shows text as it is, so Markdown in a model's answer becomes plain text a person reads easily: headings on
 * their own line, no emphasis markers, "•" bullets and numbered items, code kept line for line, links as
 * "text (url)", tables as one line per row. commonmark parses; this class only decides how each node reads.
 * Called as {@code answerFormatter}.
 */
@Component("answerFormatter")
public class AnswerFormatter {

    private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create(),
            StrikethroughExtension.create());
    private static final Parser PARSER = Parser.builder().extensions(EXTENSIONS).build();

    public String toPlainText(String markdown) {
        if (markdown == null || markdown.isBlank()) {
            return "";
        }
        Renderer renderer = new Renderer();
        PARSER.parse(markdown).accept(renderer);
        return renderer.text().replaceAll("\n{3,}", "\n\n").strip();
    }

    private static final class Renderer extends AbstractVisitor {

        private final StringBuilder out = new StringBuilder();
        private String indent = "";

        String text() {
            return out.toString();
        }

        @Override
        public void visit(Document document) {
            visitChildren(document);
        }

        @Override
        public void visit(Heading heading) {
            block();
            visitChildren(heading);
            block();
        }

        @Override
        public void visit(Paragraph paragraph) {
            if (!(paragraph.getParent() instanceof ListItem)) {
                block();
            }
            visitChildren(paragraph);
            if (!(paragraph.getParent() instanceof ListItem)) {
                block();
            }
        }

        @Override
        public void visit(BlockQuote quote) {
            block();
            Renderer inner = new Renderer();
            for (Node child = quote.getFirstChild(); child != null; child = child.getNext()) {
                child.accept(inner);
            }
            for (String line : inner.text().strip().split("\n")) {
                line();
                out.append(indent).append("｜").append(line);
            }
            block();
        }

        @Override
        public void visit(BulletList list) {
            items(list, -1);
        }

        @Override
        public void visit(OrderedList list) {
            Integer start = list.getMarkerStartNumber();
            items(list, start == null ? 1 : start);
        }

        private void items(Node list, int number) {
            boolean nested = list.getParent() instanceof ListItem;
            if (!nested) {
                block();
            }
            String outer = indent;
            for (Node item = list.getFirstChild(); item != null; item = item.getNext()) {
                line();
                out.append(outer).append(number < 0 ? "• " : number++ + ". ");
                indent = outer + "  ";
                visitChildren(item);
                indent = outer;
            }
            if (!nested) {
                block();
            }
        }

        @Override
        public void visit(FencedCodeBlock code) {
            code(code.getLiteral());
        }

        @Override
        public void visit(IndentedCodeBlock code) {
            code(code.getLiteral());
        }

        private void code(String literal) {
            block();
            String body = literal.endsWith("\n") ? literal.substring(0, literal.length() - 1) : literal;
            out.append(indent.isEmpty() ? body : body.replace("\n", "\n" + indent));
            block();
        }

        @Override
        public void visit(Code code) {
            out.append(code.getLiteral());
        }

        @Override
        public void visit(Link link) {
            withAddress(link, link.getDestination());
        }

        @Override
        public void visit(Image image) {
            withAddress(image, image.getDestination());
        }

        /** "text (url)", or the url alone when there is no text or the text is the url (an autolink). */
        private void withAddress(Node node, String url) {
            int start = out.length();
            visitChildren(node);
            String text = out.substring(start).strip();
            if (url != null && !url.isBlank() && !text.equals(url)) {
                out.append(text.isEmpty() ? url : " (" + url + ")");
            }
        }

        @Override
        public void visit(ThematicBreak thematicBreak) {
            block();
            out.append("——————");
            block();
        }

        @Override
        public void visit(SoftLineBreak softLineBreak) {
            line();
            out.append(indent);
        }

        @Override
        public void visit(HardLineBreak hardLineBreak) {
            line();
            out.append(indent);
        }

        @Override
        public void visit(Text text) {
            out.append(text.getLiteral());
        }

        @Override
        public void visit(HtmlInline html) {
            // <br> and friends: a line break; other tags are dropped
            if (html.getLiteral().toLowerCase(java.util.Locale.ROOT).startsWith("<br")) {
                line();
            }
        }

        @Override
        public void visit(HtmlBlock html) {
            block();
            out.append(html.getLiteral().replaceAll("<[^>]+>", "").strip());
            block();
        }

        @Override
        public void visit(CustomBlock block) {
            if (block instanceof TableBlock table) {
                table(table);
            } else {
                visitChildren(block);
            }
        }

        /** One line per row: "header: value；header: value", which reads on a phone where columns cannot align. */
        private void table(TableBlock table) {
            block();
            List<String> headers = new java.util.ArrayList<>();
            for (Node part = table.getFirstChild(); part != null; part = part.getNext()) {
                for (Node row = part.getFirstChild(); row != null; row = row.getNext()) {
                    if (!(row instanceof TableRow)) {
                        continue;
                    }
                    List<String> cells = new java.util.ArrayList<>();
                    for (Node cell = row.getFirstChild(); cell != null; cell = cell.getNext()) {
                        cells.add(inline(cell));
                    }
                    if (part instanceof TableHead) {
                        headers = cells;
                    } else if (part instanceof TableBody) {
                        line();
                        StringBuilder line = new StringBuilder(indent).append("• ");
                        for (int i = 0; i < cells.size(); i++) {
                            if (i > 0) {
                                line.append("；");
                            }
                            String header = i < headers.size() ? headers.get(i) : "";
                            line.append(header.isEmpty() ? "" : header + ": ").append(cells.get(i));
                        }
                        out.append(line);
                    }
                }
            }
            block();
        }

        private String inline(Node cell) {
            Renderer inner = new Renderer();
            for (Node child = cell.getFirstChild(); child != null; child = child.getNext()) {
                child.accept(inner);
            }
            return inner.text().strip();
        }

        private void line() {
            if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
                out.append('\n');
            }
        }

        private void block() {
            line();
            int length = out.length();
            if (length > 0 && !(length >= 2 && out.charAt(length - 2) == '\n')) {
                out.append('\n');
            }
        }
    }
}
