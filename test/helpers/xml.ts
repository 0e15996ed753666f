/**
 * The problems that make a file no well-formed XML document, as far as a plist can have them: the
 * <?xml declaration not first, tags that do not nest, a bare & or < in text or attributes, more or
 * less than one root element. [] = well-formed. No validation against the plist DTD.
 */
export function xmlProblems(doc: string): string[] {
  const problems: string[] = [];
  if (!doc.startsWith('<?xml ')) problems.push(`does not start with <?xml: ${JSON.stringify(doc.slice(0, 20))}`);
  const open: string[] = [];
  let roots = 0;
  let i = 0;
  const bareAmp = (t: string, at: number) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);)/.test(t)) problems.push(`a bare & at ${at}`);
  };
  const text = (t: string, at: number) => {
    bareAmp(t, at);
    if (open.length === 0 && t.trim() !== '') problems.push(`text outside the root element at ${at}: ${JSON.stringify(t.trim().slice(0, 20))}`);
  };
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    text(lt < 0 ? doc.slice(i) : doc.slice(i, lt), i);
    if (lt < 0) break;
    const rest = doc.slice(lt);
    const markup = /^<\?xml [^?]*\?>|^<!--(?:(?!--)[\s\S])*-->|^<!DOCTYPE [^>]*>|^<\/([A-Za-z_][\w.-]*)\s*>|^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/.exec(rest);
    if (!markup) {
      problems.push(`not markup at ${lt}: ${JSON.stringify(rest.slice(0, 20))}`);
      break;
    }
    const [whole, closing, name, attrs, selfClosing] = markup;
    if (whole.startsWith('<?xml') && lt !== 0) problems.push(`an XML declaration at ${lt}, not at the start`);
    if (whole.startsWith('<!DOCTYPE') && roots > 0) problems.push(`a DOCTYPE after the root element at ${lt}`);
    if (attrs) bareAmp(attrs, lt);
    if (closing !== undefined) {
      const top = open.pop();
      if (top !== closing) problems.push(`</${closing}> at ${lt} closes <${top ?? 'nothing'}>`);
    } else if (name !== undefined) {
      if (open.length === 0 && ++roots > 1) problems.push(`a second root element <${name}> at ${lt}`);
      if (!selfClosing) open.push(name);
    }
    i = lt + whole.length;
  }
  if (open.length > 0) problems.push(`not closed: ${open.map((n) => `<${n}>`).join(' ')}`);
  if (roots === 0) problems.push('no root element');
  return problems;
}

/**
 * The plist in printed text: the lines from the first one that is not a # comment and holds <?xml
 * (which must start that line) to </plist>, and the lines outside it. Throws when there is none.
 */
export function plistBlock(text: string): { block: string; outside: string[] } {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.includes('<?xml') && !l.startsWith('#'));
  const end = lines.findIndex((l, i) => i > start && l.includes('</plist>'));
  if (start < 0 || end < 0) throw new Error(`no <?xml ... </plist> block in:\n${text}`);
  if (!lines[start]?.startsWith('<?xml')) throw new Error(`text before <?xml on its line: ${lines[start]}`);
  if (lines[end] !== '</plist>') throw new Error(`text beside </plist> on its line: ${lines[end]}`);
  return { block: lines.slice(start, end + 1).join('\n'), outside: [...lines.slice(0, start), ...lines.slice(end + 1)] };
}
