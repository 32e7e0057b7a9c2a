package org.expertlm.runtime;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One container per work folder: an OS file lock held for the container's life, and the holder's
 * process id beside it so that {@code elm stop} and error messages can name it. The OS drops the lock
 * when the process dies, so a crash never leaves the folder locked.
 */
final class WorkLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;
    private final Path pidFile;

    private WorkLock(FileChannel channel, FileLock lock, Path pidFile) {
        this.channel = channel;
        this.lock = lock;
        this.pidFile = pidFile;
    }

    /** Takes the lock of {@code work}, or returns empty when another process holds it. */
    static Optional<WorkLock> tryAcquire(Path work) throws IOException {
        FileChannel channel = FileChannel.open(work.resolve("elm.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            return Optional.empty();
        }
        Path pidFile = work.resolve("elm.pid");
        Files.writeString(pidFile, Long.toString(ProcessHandle.current().pid()), StandardCharsets.US_ASCII);
        return Optional.of(new WorkLock(channel, lock, pidFile));
    }

    /** The process id last written by a holder of the lock of {@code work}, if any. */
    static OptionalLong holder(Path work) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(work.resolve("elm.pid")).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(pidFile);
        lock.release();
        channel.close();
    }
}
