import { PageHeading } from '../../components/forms';

export function SamplePage({ sampleId }: { sampleId: string }) {
  return (
    <section>
      <PageHeading>Sample {sampleId}</PageHeading>
    </section>
  );
}
