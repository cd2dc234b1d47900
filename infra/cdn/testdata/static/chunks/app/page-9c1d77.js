export default function Page(){}
