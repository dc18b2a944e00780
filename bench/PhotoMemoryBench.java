// What a photo's turn holds in memory (issue 20): the heap a photo of each size keeps alive at the two moments of
// its turn that hold the most (the bytes and their data: URL while the request is built; the data: URL and the JSON
// while the model request is written), measured after a full GC, and what each step allocates in all (transient
// buffers included). Not a test: numbers for the closing note. Run after `mvn -q -B package -DskipTests` from the
// project root:
//
//   java -Xmx1g -cp target/classes:$(ls ~/.m2/repository/com/fasterxml/jackson/core/jackson-{core,databind,annotations}/2.19.2/*.jar | grep -v sources | paste -sd:) \
//        bench/PhotoMemoryBench.java [MiB ...]

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.chat.ChatRequest;
import io.github.oac.wechat.Photo;

public class PhotoMemoryBench {

    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<String> sizes = args.length > 0 ? List.of(args) : List.of("1", "5", "10");
        for (String mib : sizes) {
            int size = (int) (Double.parseDouble(mib) * 1024 * 1024);
            long base = live();
            byte[] bytes = new byte[size];
            ThreadLocalRandom.current().nextBytes(bytes);
            bytes[0] = (byte) 0xFF;
            bytes[1] = (byte) 0xD8;
            bytes[2] = (byte) 0xFF;
            long allocated = threads.getCurrentThreadAllocatedBytes();
            String url = Photo.of(bytes).dataUrl();
            long urlAllocated = threads.getCurrentThreadAllocatedBytes() - allocated;
            long whileBuilding = live() - base; // the bytes and their data: URL
            ChatRequest request = new ChatRequest("m", List.of(new ChatRequest.ChatMessage("user",
                    List.of(new ChatRequest.TextPart("describe"), new ChatRequest.ImagePart(url)))), 0.7, 1024, "default");
            bytes = null;
            allocated = threads.getCurrentThreadAllocatedBytes();
            byte[] body = json.writeValueAsBytes(request);
            long jsonAllocated = threads.getCurrentThreadAllocatedBytes() - allocated;
            long whileSending = live() - base; // the data: URL and the request's JSON
            System.out.printf("%s MiB photo: held %.1f MiB while the request is built, %.1f MiB while it is sent "
                            + "(%.1f× the photo); allocated %.1f MiB for the data URL, %.1f MiB for the JSON%n", mib,
                    whileBuilding / 1048576.0, whileSending / 1048576.0,
                    Math.max(whileBuilding, whileSending) / (double) size, urlAllocated / 1048576.0,
                    jsonAllocated / 1048576.0);
            if (body.length == 0 || request.model() == null) {
                throw new IllegalStateException();
            }
        }
    }

    private static long live() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
