package io.github.oac;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.ExpressionNode;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.OtherwiseDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.WhenDefinition;
import org.apache.camel.model.language.ExpressionDefinition;
import org.apache.camel.model.language.MethodCallExpression;
import org.apache.camel.spi.BacklogTracer;
import org.apache.camel.spi.BacklogTracerEventMessage;

/**
 * What the routes did for one piece of work, counted from Camel's own backlog tracer (camel.trace.standby: installed
 * in every route, switched on only while counting): the routes entered, the steps run, and from those steps'
 * definitions the bean-method calls they make (bean steps, method expressions, ${bean:...} in simple) and the OGNL
 * reads in their simple expressions (${variable.turn.msgKey()}, ${body.question()}), and method expressions that Camel
 * takes for OGNL chains (any dot in them: write parameters as ${variable:turn}). A choice counts the calls of every
 * branch's condition: an upper bound.
 */
final class FlowCounter {

    private static final Pattern BEAN_IN_SIMPLE = Pattern.compile("\\$\\{bean:([\\w.]+)\\?method=(\\w+)");
    private static final Pattern OGNL = Pattern.compile(
            "\\$\\{(?:(?:variable|header|exchangeProperty)\\.[\\w-]+|body)\\??\\.[\\w]+(\\()?");

    /** Routes entered (one per route an exchange passed through), steps run, bean calls and OGNL reads, named. */
    record Counts(List<String> routes, int steps, List<String> beanCalls, List<String> ognlReads) {

        @Override
        public String toString() {
            return "%d routes %s%n%d steps%n%d bean calls %s%n%d OGNL reads %s".formatted(routes.size(), routes, steps,
                    beanCalls.size(), beanCalls, ognlReads.size(), ognlReads);
        }
    }

    private final CamelContext camel;
    private final BacklogTracer tracer;
    private final Map<String, ProcessorDefinition<?>> nodes = new LinkedHashMap<>();
    private final Set<String> timerRoutes = new HashSet<>();
    private final Set<String> directRoutes = new HashSet<>();

    FlowCounter(CamelContext camel) {
        this.camel = camel;
        this.tracer = camel.getCamelContextExtension().getContextPlugin(BacklogTracer.class);
        if (tracer == null) {
            throw new IllegalStateException("no backlog tracer: camel.trace.standby=true is missing");
        }
        for (RouteDefinition route : ((ModelCamelContext) camel).getRouteDefinitions()) {
            collect(route.getOutputs());
            if (route.getInput().getEndpointUri().startsWith("timer:")) {
                timerRoutes.add(route.getRouteId());
            }
            if (route.getInput().getEndpointUri().startsWith("direct:")) {
                directRoutes.add(route.getRouteId());
            }
        }
    }

    private void collect(List<?> outputs) {
        for (Object child : outputs) {
            if (child instanceof WhenDefinition when) {
                collect(when.getOutputs());
            } else if (child instanceof OtherwiseDefinition otherwise) {
                collect(otherwise.getOutputs());
            } else if (child instanceof ProcessorDefinition<?> node) {
                nodes.put(node.getId(), node);
                if (node instanceof ChoiceDefinition choice) {
                    collect(choice.getWhenClauses());
                    if (choice.getOtherwise() != null) {
                        collect(List.of(choice.getOtherwise()));
                    }
                }
                collect(node.getOutputs());
            }
        }
    }

    void start() {
        tracer.setBacklogSize(1000); // the most it keeps: far more than one answer's steps
        tracer.setBodyMaxChars(0);
        tracer.setIncludeExchangeProperties(false);
        tracer.setIncludeExchangeVariables(false);
        tracer.clear();
        tracer.setEnabled(true);
    }

    /**
     * What was traced since start, without the timers' own work (recovery passes, the word list's reload). A route
     * counts each time an exchange enters it (a return to its caller is not an entry).
     */
    Counts stop() {
        tracer.setEnabled(false);
        List<BacklogTracerEventMessage> events = tracer.dumpAllTracedMessages();
        Map<String, Deque<String>> stacks = new LinkedHashMap<>();
        Set<String> timerWork = new HashSet<>();
        List<String> routes = new ArrayList<>();
        int steps = 0;
        List<String> beanCalls = new ArrayList<>();
        List<String> ognl = new ArrayList<>();
        for (BacklogTracerEventMessage event : events) {
            String route = event.getRouteId();
            if (route == null || event.isLast() || timerWork.contains(event.getExchangeId())) {
                continue; // a route's last event marks its exchange's completion, not a step
            }
            if (event.isFirst() && timerRoutes.contains(route)) {
                timerWork.add(event.getExchangeId());
                continue;
            }
            // direct: routes run on their caller's thread; a consumer's first event starts a new exchange there
            Deque<String> stack = stacks.computeIfAbsent(event.getProcessingThreadName(), id -> new ArrayDeque<>());
            if (event.isFirst() && !directRoutes.contains(route)) {
                stack.clear();
            }
            if (!route.equals(stack.peek())) {
                if (stack.contains(route)) {
                    while (!route.equals(stack.peek())) {
                        stack.pop(); // back in a caller
                    }
                } else {
                    stack.push(route);
                    routes.add(route);
                }
            }
            if (event.isFirst() || event.isLast()) {
                continue;
            }
            ProcessorDefinition<?> node = nodes.get(event.getToNode());
            if (node == null) {
                continue;
            }
            steps++;
            count(node, beanCalls, ognl);
            if (node instanceof ChoiceDefinition choice) {
                for (WhenDefinition when : choice.getWhenClauses()) {
                    count(when.getExpression(), beanCalls, ognl);
                }
            }
        }
        return new Counts(routes, steps, beanCalls, ognl);
    }

    private static void count(ProcessorDefinition<?> node, List<String> beanCalls, List<String> ognl) {
        if (node instanceof BeanDefinition bean) {
            beanCalls.add(bean.getRef() + "." + bean.getMethod());
        }
        if (node instanceof ExpressionNode withExpression) {
            count(withExpression.getExpression(), beanCalls, ognl);
        }
    }

    private static void count(ExpressionDefinition expression, List<String> beanCalls, List<String> ognl) {
        if (expression != null) {
            if (expression instanceof MethodCallExpression method) {
                String call = (method.getRef() != null ? method.getRef() : method.getBeanTypeName()) + "."
                        + method.getMethod();
                beanCalls.add(call);
                if (org.apache.camel.util.OgnlHelper.isValidOgnlExpression(method.getMethod())) {
                    // a dot anywhere in a method expression (${variable.turn} as a parameter, say) makes Camel call
                    // it as an OGNL chain: an exchange copy and a split of the text on every call
                    ognl.add(call + " is an OGNL chain to Camel (");
                }
            } else if ("simple".equals(expression.getLanguage())) {
                Matcher bean = BEAN_IN_SIMPLE.matcher(expression.getExpression());
                while (bean.find()) {
                    beanCalls.add(bean.group(1) + "." + bean.group(2));
                }
                Matcher read = OGNL.matcher(expression.getExpression());
                while (read.find()) {
                    ognl.add(read.group());
                }
            }
        }
    }
}
