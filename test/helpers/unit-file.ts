/**
 * Cuts a printed text into the blocks between its `# ---- begin NAME ----` and `# ---- end NAME ----`
 * lines, as `schedule` tells the admin to, and returns the lines outside them. Marker lines that do not
 * pair up (a begin inside a block, an end of another name, a block never ended) are problems.
 */
export function markedBlocks(text: string): { blocks: Array<{ name: string; lines: string[] }>; outside: string[]; problems: string[] } {
  const blocks: Array<{ name: string; lines: string[] }> = [];
  const outside: string[] = [];
  const problems: string[] = [];
  let open: { name: string; lines: string[] } | undefined;
  text.split('\n').forEach((line, i) => {
    const begin = /^# ---- begin (.+) ----$/.exec(line);
    const end = /^# ---- end (.+) ----$/.exec(line);
    if (begin) {
      if (open) problems.push(`line ${i + 1}: begin ${begin[1]} inside ${open.name}`);
      open = { name: begin[1] as string, lines: [] };
    } else if (end) {
      if (open && open.name === end[1]) blocks.push(open);
      else problems.push(`line ${i + 1}: end ${end[1]} closes ${open?.name ?? 'nothing'}`);
      open = undefined;
    } else if (open) open.lines.push(line);
    else outside.push(line);
  });
  if (open) problems.push(`${open.name} is never ended`);
  return { blocks, outside, problems };
}

/**
 * What makes a systemd unit file unreadable as such, line by line (systemd.syntax(7)): every line is
 * empty, a # or ; comment, a [Section] header, or Key=value with a key of letters and digits, and
 * nothing but comments comes before the first section. [] = a unit file; no check of the keys' meaning.
 */
export function unitFileProblems(text: string): string[] {
  const problems: string[] = [];
  let section: string | undefined;
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line.slice(0, 40))}`;
    if (line.trim() === '' || /^\s*[#;]/.test(line)) return;
    const header = /^\[([^\]]+)\]\s*$/.exec(line);
    if (header) section = header[1];
    else if (!/^[A-Za-z][A-Za-z0-9]*=/.test(line)) problems.push(`${where} is no Key=value, section or comment`);
    else if (section === undefined) problems.push(`${where} comes before any [Section]`);
  });
  return problems;
}

/** The [Section] names of a unit file, in order. */
export const unitSections = (text: string): string[] => [...text.matchAll(/^\[([^\]]+)\]\s*$/gm)].map((m) => m[1] as string);
