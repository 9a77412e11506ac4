// Files dragged from the desktop: a room (or a thread) takes them when they are dropped on it,
// with a hint over it while they are dragged there; dropped anywhere else they are ignored
// instead of the browser leaving the app to show the file.
import { useEffect, useRef, useState, type DragEvent } from 'react';

const carriesFiles = (e: { dataTransfer: DataTransfer | null }) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');

/** Drag handlers for an element that takes dropped files, and whether files are over it. */
export function useFileDrop(onFiles: (files: File[]) => void, enabled = true) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const handlers = {
    onDragEnter: (e: DragEvent) => {
      if (!enabled || !carriesFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setOver(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!enabled || !carriesFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave: (e: DragEvent) => {
      if (!enabled || !carriesFiles(e)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setOver(false);
    },
    onDrop: (e: DragEvent) => {
      if (!enabled || !carriesFiles(e)) return;
      e.preventDefault();
      e.stopPropagation();
      depth.current = 0;
      setOver(false);
      const files = [...e.dataTransfer.files];
      if (files.length) onFiles(files);
    },
  };
  return { over, handlers };
}

/** Shown over a drop target while files are dragged over it. */
export function DropHint({ label }: { label: string }) {
  return (
    <div className="drop-hint" data-testid="drop-hint" aria-hidden="true">
      <span>{label}</span>
    </div>
  );
}

/** Files dropped outside every drop target are ignored (the browser would open them in place of the app). */
export function useIgnoreStrayDrops(): void {
  useEffect(() => {
    const ignore = (e: globalThis.DragEvent) => {
      if (carriesFiles(e)) e.preventDefault();
    };
    window.addEventListener('dragover', ignore);
    window.addEventListener('drop', ignore);
    return () => {
      window.removeEventListener('dragover', ignore);
      window.removeEventListener('drop', ignore);
    };
  }, []);
}
