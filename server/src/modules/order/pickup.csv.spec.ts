import { toCsv } from './pickup.csv';

describe('CSV of pick lists', () => {
  it('when a field holds a comma, a quote or a line break, then it is quoted and the quote doubled', () => {
    expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['line\nbreak', 3], [null, -2]])).toBe('\uFEFFa,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",3\r\n,-2\r\n');
  });

  it('when a text field starts like a formula, then it is defused', () => {
    expect(toCsv(['t'], [['=SUM(A1)']])).toBe("\uFEFFt\r\n'=SUM(A1)\r\n");
  });
});
