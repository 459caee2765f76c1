/**
 * Incremental detokenization for streaming: the text of the tokens so far is decoded as a whole and
 * only its new suffix is emitted, holding back while the tail is an incomplete UTF-8 sequence.
 */
export class TextStream {
  private readonly ids: number[] = [];
  private emitted = '';

  constructor(
    private readonly decode: (ids: readonly number[]) => string,
    private readonly onText: (delta: string) => void,
  ) {}

  push(id: number): void {
    this.ids.push(id);
    const text = this.decode(this.ids);
    if (text.endsWith('\uFFFD')) return; // a multi-byte character split across tokens
    this.emit(text);
  }

  /** Emits whatever is left (call once generation ends). */
  flush(): void {
    this.emit(this.decode(this.ids));
  }

  private emit(text: string): void {
    if (text.length <= this.emitted.length || !text.startsWith(this.emitted)) return;
    this.onText(text.slice(this.emitted.length));
    this.emitted = text;
  }
}
