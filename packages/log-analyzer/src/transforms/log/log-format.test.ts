import { describe, expect, it } from 'vitest';
import { compileFormat, FormatError, PRESETS, resolveFormat } from './log-format.js';

describe('compileFormat', () => {
  it.each(Object.keys(PRESETS))('preset %s compiles', (name) => {
    expect(compileFormat(name).source).toBe(PRESETS[name as keyof typeof PRESETS]);
  });

  it('combined_duration is combined plus %D', () => {
    expect(PRESETS.combined_duration).toBe(`${PRESETS.combined} %D`);
    expect(compileFormat('combined_duration').durationField).toBe('micros');
    expect(compileFormat('combined').durationField).toBeNull();
  });

  it('marks fields inside double quotes as quoted', () => {
    const fields = compileFormat('combined').steps.flatMap((s) =>
      s.kind === 'field' ? [[s.directive, s.quoted]] : [],
    );
    expect(fields).toEqual([
      ['%h', false],
      ['%l', false],
      ['%u', false],
      ['%t', false],
      ['%r', true],
      ['%>s', false],
      ['%b', false],
      ['%{Referer}i', true],
      ['%{User-agent}i', true],
    ]);
  });

  it('a LogFormat string is used as is', () => {
    expect(resolveFormat('%h %>s')).toBe('%h %>s');
  });

  const errors = [
    { name: 'unknown directive', given: '%h %Z %>s', want: /unknown format directive %Z/ },
    { name: 'no status', given: '%h %b', want: /no status directive/ },
    { name: 'header without a name', given: '%h %i %>s', want: /%i needs a name/ },
    { name: 'adjacent directives', given: '%h%>s', want: /need something between them/ },
    { name: 'lone percent at the end', given: '%>s %', want: /lone %/ },
    { name: 'unterminated brace', given: '%>s %{Referer', want: /unterminated/ },
    { name: 'conditional directive', given: '%400,501{User-agent}i %>s', want: /not supported/ },
    { name: 'empty', given: '  ', want: /empty/ },
    { name: 'bad %T unit', given: '%>s %{min}T', want: /unknown unit/ },
  ];
  it.each(errors)('rejects $name', ({ given, want }) => {
    expect(() => compileFormat(given)).toThrow(FormatError);
    expect(() => compileFormat(given)).toThrow(want);
  });
});
